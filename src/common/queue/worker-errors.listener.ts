import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';

/**
 * Logs a worker's connection errors as one warning per outage. BullMQ retries on its own (a Redis restart, a
 * Cluster failover that unblocks its blocking reads); without a listener it would print every error's stack.
 */
/** Processors get a worker only in processes that run workers; the getter throws elsewhere. */
export function workerOf(host: WorkerHost): WorkerHost['worker'] | undefined {
  try {
    return host.worker;
  } catch {
    return undefined;
  }
}

@Injectable()
export class WorkerErrorsListener implements OnApplicationBootstrap {
  private readonly logger = new Logger('Worker');

  constructor(private readonly discovery: DiscoveryService) {}

  onApplicationBootstrap(): void {
    for (const { instance } of this.discovery.getProviders()) {
      if (!(instance instanceof WorkerHost)) continue;
      const worker = workerOf(instance);
      if (!worker) continue;
      let failing = false;
      worker.on('error', (error: Error) => {
        if (!failing) this.logger.warn(`${worker.name}: ${error.message}; retrying`);
        failing = true;
      });
      worker.on('active', () => (failing = false));
      worker.on('ready', () => (failing = false));
    }
  }
}
