import { Rng } from './prng';

/** Words for synthetic posts (no HTML-special characters, so the server's rendering escapes nothing in them). */
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

/**
 * Other languages, so search has accents, non-Latin scripts and case to fold (docs/search.md): one post in five is
 * written in one of these. `café` and `Привет` are here on purpose; `RARE` words appear in about one post in 2,000.
 */
const LANGUAGES: string[][] = [
  'café crème déjà vu été fête forêt garçon hôtel naïve noël élève théâtre à où très bientôt demain soir matin ami amie musique dessin photo'.split(' '),
  'mañana año niño señor canción corazón pájaro jardín también música película fotografía café playa ciudad amigo noche día'.split(' '),
  'über schön grün straße müde fröhlich bäckerei frühstück größe mädchen käse zürich café musik zeichnung heute morgen'.split(' '),
  'привет мир кофе музыка город утро вечер друг друзья книга фото видео песня новый старый сегодня завтра ёлка чай лето зима'.split(' '),
];
export const RARE_WORDS = ['serendipity', 'квазар', 'crème brûlée', 'zephyrine'];

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

const ACCENTED_FIRST = 'José Zoë Chloé Renée Noël Inês Tomás Jürgen Søren Ángel Łukasz Maëlle Björn Dvořák Élodie'.split(' ');
const ACCENTED_LAST = 'Müller Peña Dubois Gonçalves Šimek Núñez Ólafsson Lefèvre Brontë Weiß Čapek Nöel'.split(' ');
const CYRILLIC_FIRST = 'Анна Иван Мария Пётр Ольга Алексей Наталья Дмитрий Ксения Сергей Юлия Фёдор'.split(' ');
const CYRILLIC_LAST = 'Иванова Смирнов Кузнецова Попов Соколова Лебедев Орлова Волков Фёдорова Морозов'.split(' ');

/** A display name: mostly from the handle; one in ten accented Latin, one in ten Cyrillic (by account index). */
export function displayName(handle: string, index = 0): string {
  const pick = (list: string[], salt: number) => list[(index * 7 + salt) % list.length];
  if (index % 10 === 5) return `${pick(ACCENTED_FIRST, 0)} ${pick(ACCENTED_LAST, 3)}`;
  if (index % 10 === 7) return `${pick(CYRILLIC_FIRST, 1)} ${pick(CYRILLIC_LAST, 5)}`;
  const [first, last] = handle.replace(/\d+$/, '').split('_');
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return last ? `${cap(first)} ${cap(last)}` : cap(first);
}

/** A sentence: English four times in five, else French, Spanish, German or Russian; now and then a rare word. */
export function sentence(rng: Rng, minWords: number, maxWords: number): string {
  const n = minWords + rng.int(maxWords - minWords + 1);
  const vocabulary = rng.chance(0.2) ? rng.pick(LANGUAGES) : WORDS;
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(vocabulary));
  if (rng.chance(0.0005)) words.splice(rng.int(words.length + 1), 0, rng.pick(RARE_WORDS));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface PostText {
  content: string;
  html: string;
}

/**
 * A post's text and the HTML the service would render for it (`renderContent`: escaped text, mention and hashtag
 * anchors, links), built directly because no piece holds an HTML-special character; the seeder's e2e test checks it against
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
