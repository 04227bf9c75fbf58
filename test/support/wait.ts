/** Polls `read` until `done` holds or the timeout passes (then answers the last value, for the assertion to show). */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    value = await read();
  }
  return value;
}

/** Waits until every outbox event has every receipt and every queue is idle: every event so far has been handled. */
export async function drained(t: { app: { get<T>(token: new (...args: never[]) => T): T }; em(): { execute(sql: string): Promise<unknown[]> } }): Promise<void> {
  const { QueueService } = await import('@/common/queue/queue.service');
  const queues = t.app.get(QueueService).all();
  const busy = async () => {
    const [pending] = (await t.em().execute('select count(*)::int as n from outbox_events where handled_at is null')) as { n: number }[];
    const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
    return pending.n + counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  };
  const left = await waitFor(busy, (n) => n === 0, 15_000);
  if (left) throw new Error(`work still queued after 15 s: ${left}`);
}
