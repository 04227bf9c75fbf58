import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QUEUE_SETTINGS, QueueName, workerOptions } from '@/common/queue/queue-names';
import { AccountEraser } from './account-eraser.service';
import { ExportBuilder } from './export-builder.service';

/** Account erasure and data exports, one at a time per worker: both stream through large data sets in batches. */
@Processor(QueueName.Accounts, workerOptions(QueueName.Accounts))
export class AccountsProcessor extends WorkerHost {
  constructor(
    private readonly eraser: AccountEraser,
    private readonly exports: ExportBuilder,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.EraseAccount, JobName.BuildExport);
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.EraseAccount:
        return this.eraser.erase((job.data as JobPayloads[JobName.EraseAccount]).userId);
      case JobName.BuildExport:
        return this.exports.build((job.data as JobPayloads[JobName.BuildExport]).exportId);
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Accounts}`);
    }
  }

  /** An export that failed its last attempt is marked failed, so its owner may ask again. */
  @OnWorkerEvent('failed')
  async onFailed(job: Job | undefined): Promise<void> {
    if (job?.name !== JobName.BuildExport || job.attemptsMade < QUEUE_SETTINGS[QueueName.Accounts].attempts) return;
    await this.exports.fail((job.data as JobPayloads[JobName.BuildExport]).exportId);
  }
}
