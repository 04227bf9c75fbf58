import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import { Queue, QueueBase } from 'bullmq';
import { QueueService } from './queue.service';
import { workerOf } from './worker-errors.listener';
import { guardLateErrors } from './late-errors';

export async function closeQuietly(target: QueueBase): Promise<void> {
  guardLateErrors(target);
  await target.close();
}

/**
 * Stops the BullMQ workers before application shutdown, letting their active jobs finish: @nestjs/bullmq closes them
 * only on application shutdown, and Nest shuts MikroORM's (global) module down before it: a job still running then
 * would find the pool closed (its queries fail, or wait 60 s for a connection). The queues close on application
 * shutdown, after the outbox relay's last enqueue. Closing twice is harmless (@nestjs/bullmq closes them again).
 */
@Injectable()
export class BullmqCloser implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly queues: QueueService,
  ) {}

  /** The workers exist once @nestjs/bullmq's explorer has run (module init); the queues are guarded by QueueService. */
  onApplicationBootstrap(): void {
    for (const host of this.workerHosts()) {
      const worker = workerOf(host);
      if (worker) guardLateErrors(worker);
    }
  }

  private workerHosts(): WorkerHost[] {
    return this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.workerHosts();
    // async: a host whose worker never started throws on `.worker`; allSettled takes that too.
    await Promise.allSettled(hosts.map(async (host) => closeQuietly(host.worker)));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.queues.all().map((queue: Queue) => closeQuietly(queue)));
  }
}
