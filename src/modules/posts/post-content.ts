import LinkifyIt from 'linkify-it';

const MENTION = /^[A-Za-z0-9_]{3,30}(?![A-Za-z0-9_])/;
const HASHTAG = /^[\p{L}\p{N}_]{1,100}(?![\p{L}\p{N}_])/u;
/** Only these link schemes become anchors; anything else stays text. */
const SAFE_SCHEMES = new Set(['http:', 'https:', 'mailto:', '']);

function precededByWordChar(text: string, pos: number): boolean {
  // `pos` is just after the '@' or '#': look at the character before it.
  return pos >= 2 && /[\p{L}\p{N}_@#]/u.test(text[pos - 2]);
}

const linkify = new LinkifyIt()
  .add('@', {
    validate: (text: string, pos: number) => (precededByWordChar(text, pos) ? 0 : (MENTION.exec(text.slice(pos))?.[0].length ?? 0)),
  })
  .add('#', {
    validate: (text: string, pos: number) => (precededByWordChar(text, pos) ? 0 : (HASHTAG.exec(text.slice(pos))?.[0].length ?? 0)),
  })
  .add('ftp:', null)
  .add('//', null);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export interface ContentEntities {
  /** Lower-cased usernames, in order, without duplicates. */
  mentions: string[];
  /** Lower-cased tags, in order, without duplicates. */
  hashtags: string[];
}

export function extractEntities(text: string): ContentEntities {
  const matches = linkify.match(text) ?? [];
  const unique = (values: string[]) => [...new Set(values)];
  return {
    mentions: unique(matches.filter((m) => m.schema === '@').map((m) => m.raw.slice(1).toLowerCase())),
    hashtags: unique(matches.filter((m) => m.schema === '#').map((m) => m.raw.slice(1).toLowerCase())),
  };
}

export interface RenderContext {
  publicUrl: string;
  /** Lower-cased username → the account's username as written, for mentions of existing users only. */
  users: Map<string, string>;
}

/**
 * Server-side HTML: the text escaped, line breaks kept, links, mentions of existing users and hashtags as anchors.
 * Nothing the user typed reaches the HTML unescaped.
 */
export function renderContent(text: string, context: RenderContext): string {
  const matches = linkify.match(text) ?? [];
  let html = '';
  let last = 0;
  for (const match of matches) {
    html += escapeHtml(text.slice(last, match.index));
    last = match.lastIndex;
    if (match.schema === '@') {
      const username = context.users.get(match.raw.slice(1).toLowerCase());
      html += username
        ? `<a href="${escapeHtml(`${context.publicUrl}/@${username}`)}" class="mention">@${escapeHtml(username)}</a>`
        : escapeHtml(match.raw);
    } else if (match.schema === '#') {
      const tag = match.raw.slice(1);
      html += `<a href="${escapeHtml(`${context.publicUrl}/tags/${encodeURIComponent(tag.toLowerCase())}`)}" class="hashtag">#${escapeHtml(tag)}</a>`;
    } else if (SAFE_SCHEMES.has(match.schema.toLowerCase())) {
      html += `<a href="${escapeHtml(match.url)}" rel="nofollow noopener noreferrer" target="_blank">${escapeHtml(match.text)}</a>`;
    } else {
      html += escapeHtml(match.raw);
    }
  }
  html += escapeHtml(text.slice(last));
  return `<p>${html.replace(/\r?\n/g, '<br>')}</p>`;
}
