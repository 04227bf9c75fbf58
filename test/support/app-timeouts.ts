/**
 * Booting an app (Nest's module graph, the ORM's discovery, BullMQ workers connecting) takes 1-3 s on an idle 2-core
 * machine but has been seen above 30 s under heavy load; a slow boot is not what any suite tests.
 * `TEST_BOOT_TIMEOUT_MS` shrinks it for test/e2e/jest-exits.e2e-spec.ts, which makes a boot outlive its hook.
 */
export const BOOT_TIMEOUT_MS = Number(process.env.TEST_BOOT_TIMEOUT_MS ?? 90_000);

/**
 * On a loaded 2-core machine an app's close (BullMQ workers finishing their blocking calls, pools draining) has
 * been seen to take longer than a Jest hook may. A close that overruns is reported, not failed: the run's
 * teardown drops the database and Jest exits.
 */
export const CLOSE_TIMEOUT_MS = 20_000;

/** An `afterAll` that may wait for a boot that outlived its hook, then close it: the full boot budget, then a close. */
export const LEFTOVER_TIMEOUT_MS = 90_000 + CLOSE_TIMEOUT_MS;
