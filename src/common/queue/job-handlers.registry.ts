import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { JOB_QUEUE, JobName } from './queue-names';

/**
 * Processors declare the jobs they handle; a worker refuses to start when a job has no handler,
 * instead of letting such jobs fail one by one in production.
 */
@Injectable()
export class JobHandlersRegistry implements OnApplicationBootstrap {
  private readonly handled = new Set<JobName>();

  constructor(private readonly config: AppConfig) {}

  register(...jobs: JobName[]): void {
    for (const job of jobs) this.handled.add(job);
  }

  missing(): JobName[] {
    return (Object.keys(JOB_QUEUE) as JobName[]).filter((job) => !this.handled.has(job));
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    const missing = this.missing();
    if (missing.length) throw new Error(`no handler for job(s): ${missing.join(', ')}`);
  }
}
