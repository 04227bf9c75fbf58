import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { MailService } from './mail.service';

/** Sends queued mail; a failure (server down, refused) is retried with backoff, and the last failure stays visible. */
@Processor(QueueName.Mail, workerOptions(QueueName.Mail))
export class MailProcessor extends WorkerHost {
  constructor(
    private readonly mail: MailService,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.SendMail);
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.SendMail: {
        const { id, mail } = job.data as JobPayloads[JobName.SendMail];
        return this.mail.send(id, mail);
      }
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Mail}`);
    }
  }
}
