import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMAIN_EVENT_TYPES } from '@/common/outbox/domain-events';

const ROOT = join(__dirname, '..', '..');
/** One run reads the sources with the TypeScript compiler: a few seconds idle, far more on a loaded machine. */
const RUNS_TIMEOUT = 240_000;

/** `npm run docs:generate|docs:check`, on a scratch copy of README.md and docs/ (the code is the repository's). */
function run(command: 'generate' | 'check', docs: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'scripts/docs-generate.ts'), command, '--docs', docs],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function withoutLine(text: string, startsWith: string): string {
  const line = text.split('\n').find((l) => l.startsWith(startsWith));
  if (!line) throw new Error(`no line starts with ${startsWith}`);
  return text.replace(`${line}\n`, '');
}

describe('scripts/docs-generate.ts (npm run docs:check, in lint)', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'docs-generate-'));
    cpSync(join(ROOT, 'README.md'), join(copy, 'README.md'));
    cpSync(join(ROOT, 'docs'), join(copy, 'docs'), { recursive: true });
  });

  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('passes on the committed pages, whose events table lists every event with its subscriber', () => {
    expect(run('check', copy)).toEqual({ status: 0, output: 'the generated parts of the docs match the code\n' });
    const events = readFileSync(join(copy, 'docs/events.md'), 'utf8');
    const listed = [...events.matchAll(/^\| `([a-z_.]+)` \| [^|]+ \| `([a-z0-9._-]+)` /gm)].map(([, type, subscriber]) => `${type} ${subscriber}`);
    expect(new Set(listed.map((l) => l.split(' ')[0]))).toEqual(new Set(DOMAIN_EVENT_TYPES));
    expect(listed).toEqual(expect.arrayContaining(['user.blocked billing.block', 'report.resolved notifications.reports', 'account.deleted accounts.erase']));
  }, RUNS_TIMEOUT);

  it('fails on a stale table, a missing part and a module missing from the README, saying which page and how to fix it', () => {
    const eventsPage = join(copy, 'docs/events.md');
    const fresh = readFileSync(eventsPage, 'utf8');
    writeFileSync(eventsPage, withoutLine(fresh, '| `user.blocked` |')); // a handler added, the table not updated
    const jobsPage = join(copy, 'docs/jobs-and-outbox.md');
    writeFileSync(jobsPage, readFileSync(jobsPage, 'utf8').replace(/<!-- generated:queues:start -->[\s\S]*<!-- generated:queues:end -->/, ''));
    const readme = join(copy, 'README.md');
    writeFileSync(readme, withoutLine(readFileSync(readme, 'utf8'), '| `src/modules/reports` |'));

    const check = run('check', copy);
    expect(check.status).toBe(1);
    expect(check.output).toContain('docs/events.md is stale: a generated part no longer matches the code. Run: npm run docs:generate');
    expect(check.output).toContain('no page holds the generated part "queues"');
    expect(check.output).toContain('README.md: the module map has no row for `src/modules/reports`');

    // generate rewrites the stale table as it was; what only a person can write stays an error
    const generate = run('generate', copy);
    expect(generate.status).toBe(1);
    expect(generate.output).toContain('rewrote docs/events.md');
    expect(readFileSync(eventsPage, 'utf8')).toBe(fresh);
  }, RUNS_TIMEOUT);
});
