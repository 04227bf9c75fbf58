import type { Queue } from 'bullmq';
import type { EventEmitter } from 'node:events';
import { QueueService } from '../../src/common/queue/queue.service';
import { withTestApp } from '../support/app';

/** An app whose Redis is a closed port: every BullMQ connection keeps trying to connect. */
const REDIS_DOWN = { REDIS_URL: 'redis://127.0.0.1:1' };

/** The ioredis client under a queue's BullMQ connection (internal, stable across BullMQ 5.x). */
function clientOf(queue: Queue): EventEmitter {
  return (queue as unknown as { connection: { _client: EventEmitter } }).connection._client;
}

describe('Shutdown with Redis unreachable', () => {
  const unhandled: string[] = [];
  const record = (reason: unknown) => unhandled.push(String((reason as Error)?.message ?? reason));
  beforeAll(() => process.on('unhandledRejection', record));
  afterAll(() => process.off('unhandledRejection', record));

  it('leaves no unhandled connect error when a queue closes mid-connect, however late the refusal is read', async () => {
    await withTestApp({ env: REDIS_DOWN }, async (down) => {
      const queues = down.app.get(QueueService).all();
      // What a loaded machine does: @nestjs/bullmq closes each queue (its module's shutdown hook) while a reconnect
      // attempt is in flight, and the refusal is read only after the rest of the shutdown has moved on.
      await Promise.all(
        queues.map(
          (queue) =>
            new Promise<void>((resolve) => {
              clientOf(queue).once('connecting', () => void queue.close().then(resolve));
            }),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(unhandled).toEqual([]);
  });
});
