import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job, UnrecoverableError } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { StripeClient } from '@/modules/billing/stripe/stripe.client';
import { hasDifferences } from './dto/reconciliation.dto';
import { ReconciliationService } from './reconciliation.service';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const FIRST_ASK_WITHIN_MS = 15 * 60 * 1000;

/** The day before `now`'s UTC day: `[from, to)` as ISO dates. */
export function previousDay(now: Date): JobPayloads[JobName.Reconcile] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return { from: new Date(today - DAY_MS).toISOString(), to: new Date(today).toISOString() };
}

/**
 * The daily reconciliation of yesterday (UTC) against Stripe. Worker role only, and only with Stripe configured.
 * A report with differences fails the job (no retry: the same report would come back), which is what an operator sees:
 * an error in the log, the failed job on the queue dashboard, `bullmq_jobs_total{queue="reconciliation",outcome="failed"}`.
 * Then `POST /admin/reconciliation/repair` (or `npm run reconcile -- --repair`) records what webhooks lost.
 */
@Processor(QueueName.Reconciliation, workerOptions(QueueName.Reconciliation))
export class ReconciliationProcessor extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconciliationProcessor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly reconciliation: ReconciliationService,
    private readonly queues: QueueService,
    private readonly stripe: StripeClient,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.Reconcile);
  }

  /**
   * Every worker asks hourly for yesterday's run under the job id of the day: it runs once a day however many
   * workers there are (the media clean-up's scheme: no delayed job waits in the queue). The first ask comes at a
   * random point of the worker's first quarter hour, not at start-up: workers restarted together do not all ask at
   * once, and a short-lived process (a CLI, a test's app) does not start a reconciliation it will not see finish.
   */
  onApplicationBootstrap(): void {
    if (!this.stripe.configured) return;
    const request = () => {
      const day = previousDay(new Date());
      this.queues
        .enqueue(JobName.Reconcile, day, { jobId: `reconcile-${day.from.slice(0, 10)}` })
        .catch((error: Error) => this.logger.warn(`daily reconciliation not queued: ${error.message}`));
    };
    this.timer = setTimeout(
      () => {
        request();
        this.timer = setInterval(request, HOUR_MS).unref();
      },
      Math.floor(Math.random() * FIRST_ASK_WITHIN_MS),
    ).unref();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.Reconcile:
        return this.reconcile(job.data as JobPayloads[JobName.Reconcile]);
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Reconciliation}`);
    }
  }

  private async reconcile({ from, to }: JobPayloads[JobName.Reconcile]) {
    const report = await this.reconciliation.report({ from: new Date(from), to: new Date(to) });
    if (!hasDifferences(report)) return { stripe_objects: report.stripe_objects, ledger_entries: report.ledger_entries };
    const summary = `${report.missing_in_ledger.length} missing in the ledger, ${report.missing_in_stripe.length} missing at Stripe, ${report.mismatched.length} mismatched`;
    this.logger.error(`reconciliation of ${from} to ${to}: ${summary}: ${JSON.stringify(report)}`);
    throw new UnrecoverableError(`the ledger differs from Stripe for ${from} to ${to}: ${summary}`);
  }
}
