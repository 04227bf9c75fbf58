/**
 * Apps a test file booted and has not closed, and boots still running. A boot that outlives its hook (a `beforeAll`
 * timeout under load) goes on in the background; once done, its PostgreSQL pool, Redis clients and BullMQ workers
 * keep the process alive, so Jest never exits and a red CI run eats its whole budget. `useTestApp` waits for its own
 * boot in its `afterAll`; `test/support/after-env.ts` closes whatever is left (suites that call `createTestApp` in
 * hooks of their own) after the file's last hook. Kept free of imports: every e2e file loads it.
 */
interface Closable {
  close(): Promise<void>;
}

const boots = new Set<Promise<unknown>>();
const open = new Set<Closable>();

/** Tracks a boot: once it resolves, the app counts as open until `closed(app)`. Answers the same promise. */
export function tracked<T extends Closable>(boot: Promise<T>): Promise<T> {
  boots.add(boot);
  boot.then(
    (app) => open.add(app),
    () => undefined,
  ).finally(() => boots.delete(boot));
  return boot;
}

export function closed(app: Closable): void {
  open.delete(app);
}

/** Waits for the boots still running, then closes every app left open; answers how many it closed. */
export async function closeLeftoverApps(): Promise<number> {
  while (boots.size) await Promise.allSettled([...boots]);
  const left = [...open];
  // A leftover's close may also report what its OpenAPI contract recorded: the suite failed already, say it, go on.
  const outcomes = await Promise.allSettled(left.map((app) => app.close()));
  for (const outcome of outcomes) if (outcome.status === 'rejected') console.warn(`closing a leftover test app: ${String(outcome.reason)}`);
  return left.length;
}
