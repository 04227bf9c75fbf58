import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DirectJob, JOB_QUEUE } from './queue-names';

/**
 * Processors declare the direct jobs they handle; a worker refuses to start when a job has no handler, instead of
 * letting such jobs fail one by one in production. (Outbox events have their own check: `OutboxSubscribers`.)
 */
@Injectable()
export class JobHandlersRegistry implements OnApplicationBootstrap {
  private readonly handled = new Set<DirectJob>();

  constructor(private readonly config: AppConfig) {}

  register(...jobs: DirectJob[]): void {
    for (const job of jobs) this.handled.add(job);
  }

  missing(): DirectJob[] {
    return (Object.keys(JOB_QUEUE) as DirectJob[]).filter((job) => !this.handled.has(job));
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    const missing = this.missing();
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
  }
}
