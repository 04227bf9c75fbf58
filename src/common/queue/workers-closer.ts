import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { WorkerHost } from '@nestjs/bullmq';

/**
 * Stops the BullMQ workers, letting their active jobs finish, before application shutdown. @nestjs/bullmq closes
 * them only on application shutdown, and Nest shuts MikroORM's (global) module down before it: a job still running
 * then would find the pool closed (its queries fail, or wait 60 s for a connection). Closing twice is harmless.
 */
@Injectable()
export class WorkersCloser implements BeforeApplicationShutdown {
  constructor(private readonly discovery: DiscoveryService) {}

  async beforeApplicationShutdown(): Promise<void> {
    const hosts = this.discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is WorkerHost => instance instanceof WorkerHost);
    // async: a host whose worker never started throws on `.worker`; allSettled takes that too.
    await Promise.allSettled(hosts.map(async (host) => host.worker.close()));
  }
}
