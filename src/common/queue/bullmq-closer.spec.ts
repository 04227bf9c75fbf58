import { Queue, QueueBase, Worker } from 'bullmq';
import { closeQuietly } from './bullmq-closer';

/** Redis down: nothing listens on port 1, so every connection attempt is refused and retried every few ms. */
const DOWN = { host: '127.0.0.1', port: 1, maxRetriesPerRequest: null, retryStrategy: () => 5 };

describe('closeQuietly', () => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.off('unhandledRejection', record));

  it('closes queues and workers caught mid-connect without an unhandled rejection', async () => {
    // Closing at every offset within a few reconnect cycles lands some closes on an attempt still in flight; a plain
    // close() leaves roughly one in five of those with an unhandled `connect ECONNREFUSED` (BullMQ 5.81).
    for (let i = 0; i < 60; i++) {
      const target: QueueBase = i % 2 ? new Queue(`down-${i}`, { connection: DOWN }) : new Worker(`down-${i}`, async () => undefined, { connection: DOWN });
      target.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, i % 15));
      await closeQuietly(target);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(unhandled).toEqual([]);
    // 60 opens and closes: about 1 s alone, past the default 5 s once late in a slow in-band .ci/run.
  }, 30_000);
});
