import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * A red run must end: when a suite's `beforeAll` times out while its app is still booting, the boot goes on in the
 * background and, once done, holds PostgreSQL, Redis and BullMQ connections that nothing closed, so Jest never
 * exited and a failing CI run ate its whole budget. Here a child Jest runs a suite whose boot outlives a 50 ms hook
 * (test/fixtures/hook-timeout: one through `useTestApp`, one booting its app in a hook of its own) and must exit by
itself soon after its summary.
 */
const ROOT = join(__dirname, '..', '..');
/** Before the fix the child never exited: it is killed this long after its summary. */
const KILL_AFTER_SUMMARY_MS = 90_000;
/** Until the summary: the child's start-up and its one suite (the boot is waited for in afterAll, then closed). */
const KILL_BEFORE_SUMMARY_MS = 180_000;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** From the child's summary line to its exit; undefined when it never printed one. */
  afterSummaryMs?: number;
}

function runChildJest(env: Record<string, string>): Promise<ChildRun> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', join(ROOT, 'test/fixtures/hook-timeout/jest.config.js'), '--runInBand', '--ci'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let summaryAt: number | undefined;
  let killer = setTimeout(() => child.kill('SIGKILL'), KILL_BEFORE_SUMMARY_MS);
  const read = (chunk: Buffer) => {
    output += chunk.toString();
    if (summaryAt === undefined && output.includes('Ran all test suites')) {
      summaryAt = Date.now();
      clearTimeout(killer);
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_SUMMARY_MS);
    }
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, output, afterSummaryMs: summaryAt === undefined ? undefined : Date.now() - summaryAt });
    });
  });
}

describe('Jest after a hook timeout', () => {
  it('reports the boot that outlived its beforeAll as a failure and exits by itself', async () => {
    const run = await runChildJest({ TEST_BOOT_TIMEOUT_MS: '50' });
    console.log(`child Jest exited ${run.afterSummaryMs} ms after its summary (${run.signal ?? `exit ${run.code}`})`);
    expect(run.output.match(/Exceeded timeout of 50 ms for a hook/g)?.length).toBeGreaterThanOrEqual(2);
    // The suite with a hook of its own: its app, booted after the hook gave up, closed by the file's last hook.
    expect(run.output).toContain('closed 1 test app(s) left open by this file');
    expect(run.output).not.toContain('after the Jest environment has been torn down');
    expect(run.afterSummaryMs).toBeDefined();
    // Killed (SIGKILL) means it hung; a failed suite exits 1 by itself.
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
  }, KILL_BEFORE_SUMMARY_MS + KILL_AFTER_SUMMARY_MS + 10_000);
});
