import { Rng } from './prng';

/** Words for synthetic posts: plain ASCII, so the server's HTML rendering escapes nothing in them. */
const WORDS = (
  'the a an and or but so if then when while because after before today tonight tomorrow yesterday week morning ' +
  'evening new old first last best small big quick slow bright quiet loud fresh early late long short good great ' +
  'just still really finally almost always never sometimes maybe again here there everyone nobody people friends ' +
  'team studio project draft sketch photo video song track album show episode chapter story thread update release ' +
  'launch demo preview test build idea plan note list question answer review post comment live stream coffee tea ' +
  'city park beach train street garden kitchen desk window light color paint ink paper camera lens guitar piano ' +
  'drums code design music art film book game trip walk run ride cook write read draw play learn share finish start ' +
  'try make love like miss need want think know feel see hear find keep watch wait open close working thinking ' +
  'shipping drawing painting recording editing planning cooking reading writing waiting'
).split(' ');

const FIRST = 'ada alan ana ben bo cai cleo dan eli ema finn gia hana ian ines jo kai lea leo liv mae max mia nia noa ole pia raj rio sam sia tara teo uma una val vic wen xia yan yui zoe'.split(' ');
const LAST = 'stone rivers hill park lee kim cruz rossi weber silva novak sato berg costa dubois moreau nakamura okafor patel quinn reyes singh tanaka vargas walsh young zhang ivanova lund hart'.split(' ');

/** Hashtag names, most popular first (their use follows a power law over this order). */
export function hashtagNames(count: number): string[] {
  const base = 'art music photography coding design travel food books film gaming fitness nature science tech writing poetry comics anime fashion coffee'.split(' ');
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    names.push(i < base.length ? base[i] : `${WORDS[i % WORDS.length]}${base[i % base.length]}${Math.floor(i / base.length)}`);
  }
  return names;
}

export function username(index: number, rng: Rng): string {
  return `${rng.pick(FIRST)}_${rng.pick(LAST)}${index}`;
}

export function displayName(handle: string): string {
  const [first, last] = handle.replace(/\d+$/, '').split('_');
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return last ? `${cap(first)} ${cap(last)}` : cap(first);
}

export function sentence(rng: Rng, minWords: number, maxWords: number): string {
  const n = minWords + rng.int(maxWords - minWords + 1);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface PostText {
  content: string;
  html: string;
}

/**
 * A post's text and the HTML the service would render for it (`renderContent`: escaped text, mention and hashtag
 * anchors, links), built directly because every piece is plain ASCII; the seeder's e2e test checks it against
 * `renderContent` on a sample.
 */
export function postText(rng: Rng, publicUrl: string, mention: string | undefined, tags: string[]): PostText {
  const parts: { text: string; html: string }[] = [];
  if (mention) {
    parts.push({ text: `@${mention}`, html: `<a href="${publicUrl}/@${mention}" class="mention">@${mention}</a>` });
  }
  const body = sentence(rng, 5, 30) + (rng.chance(0.6) ? '.' : rng.chance(0.5) ? '!' : '?');
  parts.push({ text: body, html: body });
  for (const tag of tags) parts.push({ text: `#${tag}`, html: `<a href="${publicUrl}/tags/${tag}" class="hashtag">#${tag}</a>` });
  if (rng.chance(0.04)) {
    const url = `https://example.com/p/${rng.int(1_000_000)}`;
    parts.push({ text: url, html: `<a href="${url}" rel="nofollow noopener noreferrer" target="_blank">${url}</a>` });
  }
  return { content: parts.map((p) => p.text).join(' '), html: `<p>${parts.map((p) => p.html).join(' ')}</p>` };
}
