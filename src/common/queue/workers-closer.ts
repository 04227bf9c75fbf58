import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';
import { Worker } from 'bullmq';

/**
 * How long a worker may take to finish its active jobs and its blocking read. A worker whose Redis connection died
 * mid-read (a cluster primary killed) can wait on it for ever; it is then closed by force: its active jobs, if any,
 * go back to the queue when their lock expires (jobs are idempotent), instead of the process overrunning its
 * shutdown timeout.
 */
const GRACEFUL_CLOSE_MS = 10_000;

async function closeWorker(worker: Worker, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), GRACEFUL_CLOSE_MS);
  });
  const outcome = await Promise.race([worker.close().then(() => 'closed' as const), late]);
  clearTimeout(timer);
  if (outcome === 'closed') return;
  logger.warn(`worker ${worker.name} did not close within ${GRACEFUL_CLOSE_MS} ms; closing it by force`);
  await worker.close(true);
}

/**
 * Stops the BullMQ workers, letting their active jobs finish, before application shutdown. @nestjs/bullmq closes
 * them only on application shutdown, and Nest shuts MikroORM's (global) module down before it: a job still running
 * then would find the pool closed (its queries fail, or wait 60 s for a connection). Closing twice is harmless.
 */
@Injectable()
export class WorkersCloser implements BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkersCloser.name);

  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    // async: a host whose worker never started throws on `.worker`; allSettled takes that too.
    await Promise.allSettled(hosts.map(async (host) => closeWorker(host.worker, this.logger)));
  }
}
