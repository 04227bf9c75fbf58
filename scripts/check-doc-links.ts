/**
 * `npm run lint` runs this: every relative link in README.md and docs/**.md must name a file that exists, and a
 * `#fragment` pointing into a Markdown file must name one of its headings (GitHub's anchor rule). Links with a
 * scheme (https:, mailto:) are not fetched. Comments in src/, scripts/, bench/, test/ and eslint/ are held to the same:
 * a `docs/<page>.md#anchor` they name must exist, and so must a README section they quote (`the README's "Section"`).
 * Exits 1 listing each broken link as `file:line: target (why)`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  reason: string;
}

/** GitHub's heading anchor: inline markup dropped, lower case, punctuation removed, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The text outside fenced code blocks and HTML comments, with inline code blanked; line numbers kept. */
function proseLines(markdown: string): string[] {
  const withoutComments = markdown.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '));
  let fenced = false;
  return withoutComments.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length));
  });
}

/** Every anchor a Markdown file offers (duplicates get `-1`, `-2`, as on GitHub). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(id);
  return out;
}

/** The broken relative links of one Markdown file. */
export function brokenLinks(file: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const lines = proseLines(readFileSync(file, 'utf8'));
  const inline = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/;
  lines.forEach((line, index) => {
    const targets = [...line.matchAll(inline)].map((m) => m[1]);
    const ref = reference.exec(line);
    if (ref) targets.push(ref[1]);
    for (const target of targets) {
      const reason = checkTarget(file, target);
      if (reason) broken.push({ file: relative(ROOT, file), line: index + 1, target, reason });
    }
  });
  return broken;
}

function checkTarget(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  const [path, fragment] = target.split('#', 2) as [string, string | undefined];
  const resolved = path ? resolve(dirname(from), decodeURIComponent(path)) : from;
  if (!resolved.startsWith(ROOT)) return 'outside the repository';
  if (!existsSync(resolved)) return 'no such file';
  if (fragment === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) return undefined;
  return anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(fragment).toLowerCase()) ? undefined : `no heading #${fragment}`;
}

/**
 * The broken pointers to the docs in one source file's text: `docs/<page>.md#anchor` must name a page and one of its
 * headings, and `the README's "Section"` a heading of README.md (comments that point to a section that moved).
 */
export function brokenCodeReferences(file: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const readme = join(ROOT, 'README.md');
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const found = [
        ...[...line.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)].map((m) => ({ target: m[0], reason: checkTarget(readme, m[0]) })),
        ...[...line.matchAll(/README's "([^"]+)"/g)].map((m) => ({
          target: m[0],
          reason: anchors(readFileSync(readme, 'utf8')).has(slug(m[1])) ? undefined : 'README.md has no such section: point to the docs/ page that holds it',
        })),
      ];
      for (const { target, reason } of found) if (reason) broken.push({ file: relative(ROOT, file), line: index + 1, target, reason });
    });
  return broken;
}

function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : /\.(ts|mjs|js)$/.test(entry.name) ? [join(dir, entry.name)] : [],
    );
  return ['src', 'scripts', 'bench', 'test', 'eslint'].map((d) => join(ROOT, d)).filter(existsSync).flatMap(walk);
}

function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
    );
  return [join(ROOT, 'README.md'), ...(existsSync(docs) ? walk(docs) : [])];
}

if (require.main === module) {
  const files = markdownFiles();
  const sources = sourceFiles().filter((file) => file !== __filename); // its own comments and patterns show the form
  const broken = [...files.flatMap(brokenLinks), ...sources.flatMap(brokenCodeReferences)];
  for (const b of broken) console.error(`${b.file}:${b.line}: ${b.target} (${b.reason})`);
  if (broken.length) {
    console.error(`${broken.length} broken link(s) in ${files.length} Markdown files and ${sources.length} source files`);
    process.exit(1);
  }
  console.log(`doc links: ${files.length} Markdown files and the docs/ pointers of ${sources.length} source files resolve`);
}
