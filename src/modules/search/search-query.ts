/**
 * A posts query as typed in the search box (Mastodon's operators): words, `"quoted phrases"`, `-excluded` words and
 * `or` go to PostgreSQL's `websearch_to_tsquery`; `#tag` and `from:username` are pulled out and answered through the
 * hashtag tables and the author's posts.
 */
export interface PostsQuery {
  /** The text for `websearch_to_tsquery`; empty when the query has no word to match. */
  text: string;
  /** Lower-cased, without the `#`; every one must tag the post. */
  tags: string[];
  /** Lower-cased usernames from `from:`; two different ones match nothing. */
  authors: string[];
}

const TOKEN = /"[^"]*"?|\S+/g;
const TAG = /^#([\p{L}\p{N}_]{1,100})$/u;
const FROM = /^from:@?([A-Za-z0-9_]{1,50})$/i;
/** A query word must hold a letter or digit, else PostgreSQL finds no lexeme in it (and warns). */
const WORDY = /[\p{L}\p{N}]/u;

export function parsePostsQuery(q: string): PostsQuery {
  const words: string[] = [];
  const tags = new Set<string>();
  const authors = new Set<string>();
  for (const token of q.match(TOKEN) ?? []) {
    const tag = TAG.exec(token);
    const from = FROM.exec(token);
    if (tag) tags.add(tag[1].toLowerCase());
    else if (from) authors.add(from[1].toLowerCase());
    else words.push(token);
  }
  const text = words.join(' ');
  return { text: WORDY.test(text) ? text : '', tags: [...tags], authors: [...authors] };
}

/** `q` for a username prefix (`@` allowed in front), or undefined when it cannot be one. */
export function usernamePrefix(q: string): string | undefined {
  const m = /^@?([A-Za-z0-9_]{1,50})$/.exec(q.trim());
  return m?.[1].toLowerCase();
}

/** The words of `q` that display-name words must start with; LIKE wildcards escaped, at most eight. */
export function displayNameWords(q: string): string[] {
  return q
    .trim()
    .replace(/^@/, '')
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, 8)
    .map(escapeLike);
}

/** `q` as a hashtag prefix, lower-cased without the `#`, or undefined when no hashtag can start so. */
export function hashtagPrefix(q: string): string | undefined {
  const m = /^#?([\p{L}\p{N}_]{1,100})$/u.exec(q.trim());
  return m?.[1].toLowerCase();
}

/** Escapes LIKE's wildcards (the pattern's escape character is the backslash). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function likePrefix(value: string): string {
  return `${escapeLike(value)}%`;
}
