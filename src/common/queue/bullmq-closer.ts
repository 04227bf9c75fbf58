import { BeforeApplicationShutdown, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import { Queue, QueueBase } from 'bullmq';
import { QueueService } from './queue.service';

/**
 * BullMQ's connection objects, one per queue and two per worker. Not in its typings (protected), but stable
 * across 5.x.
 */
interface WithConnections {
  connection?: NodeJS.EventEmitter;
  blockingConnection?: NodeJS.EventEmitter;
}

/**
 * A connection closed while it was still connecting (Redis down at shutdown) rejects its pending start-up with the
 * connect error after `close()` has removed every listener; BullMQ re-emits that rejection as an `error` event with
 * nobody listening, and the process gets an unhandled rejection (`connect ECONNREFUSED`). A listener added after
 * `close()` resolves, before the socket's close event arrives, takes it. Nothing else is emitted once closed.
 */
function ignoreLateConnectErrors(closed: QueueBase): void {
  const { connection, blockingConnection } = closed as unknown as WithConnections;
  for (const emitter of [connection, blockingConnection]) emitter?.on('error', () => undefined);
}

export async function closeQuietly(target: QueueBase): Promise<void> {
  await target.close();
  ignoreLateConnectErrors(target);
}

/**
 * Stops the BullMQ workers before application shutdown, letting their active jobs finish: @nestjs/bullmq closes them
 * only on application shutdown, and Nest shuts MikroORM's (global) module down before it: a job still running then
 * would find the pool closed (its queries fail, or wait 60 s for a connection). The queues close on application
 * shutdown, after the outbox relay's last enqueue. Closing twice is harmless (@nestjs/bullmq closes them again), and
 * closing here is what lets us take the late errors of connections that never came up.
 */
@Injectable()
export class BullmqCloser implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly queues: QueueService,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    // async: a host whose worker never started throws on `.worker`; allSettled takes that too.
    await Promise.allSettled(hosts.map(async (host) => closeQuietly(host.worker)));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.queues.all().map((queue: Queue) => closeQuietly(queue)));
  }
}
