import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenCodeReferences } from '../../scripts/check-doc-links';

describe('scripts/check-doc-links.ts: pointers to the docs in code comments', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'doc-links-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Written so that lint, which scans this file too, does not find the broken pointers themselves.
  const docs = 'docs';

  it('refuses a README section that moved, a missing page and a missing heading, and accepts a live anchor', () => {
    const file = join(dir, 'pages.ts');
    writeFileSync(
      file,
      [
        '/** Pages may lag the primary (see the README\'s "Scaling out"). */',
        '// docs/scaling-out.md#read-replicas-which-endpoint-reads-where and docs/timelines.md are fine',
        `// ${docs}/no-such-page.md`,
        `// ${docs}/timelines.md#no-such-heading`,
        '// the README\'s "Module map" is still there',
      ].join('\n'),
    );
    expect(brokenCodeReferences(file).map(({ line, target, reason }) => ({ line, target, reason }))).toEqual([
      { line: 1, target: 'README\'s "Scaling out"', reason: 'README.md has no such section: point to the docs/ page that holds it' },
      { line: 3, target: `${docs}/no-such-page.md`, reason: 'no such file' },
      { line: 4, target: `${docs}/timelines.md#no-such-heading`, reason: 'no heading #no-such-heading' },
    ]);
  });
});
