import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { DomainEventHandlers } from '@/common/outbox/domain-event-handlers';
import { OutboxService } from '@/common/outbox/outbox.service';
import { JobName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { decrypt, encrypt } from '@/common/security/encryption';
import { MailTemplates } from './mail-templates';
import { MailTransport } from './mail-transport';
import { MailRequest, MailTemplate } from './mail.types';

export interface NewMail {
  to: string;
  template: MailTemplate;
  values: Record<string, string>;
  /** A link carrying a secret (token, signed URL): sealed until the worker renders the mail. */
  link?: string;
}

/**
 * Mail is recorded in the caller's transaction (outbox `mail.requested`), moved to the `mail` queue by the events
 * worker, and sent by the mail worker: a request never waits for SMTP, and a mail server that is down loses nothing.
 */
@Injectable()
export class MailService implements OnModuleInit {
  private readonly templates = new MailTemplates();

  constructor(
    private readonly outbox: OutboxService,
    private readonly queues: QueueService,
    private readonly transport: MailTransport,
    private readonly handlers: DomainEventHandlers,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.handlers.on('mail.requested', (mail, eventId) =>
      // The outbox id as job id: an event delivered twice queues its mail once.
      this.queues.enqueue(JobName.SendMail, { id: eventId, mail }, { jobId: `mail-${eventId}` }),
    );
  }

  /** Records a mail to send once the caller's transaction commits. */
  request(em: EntityManager, mail: NewMail): void {
    const sealed = mail.link === undefined ? undefined : encrypt(JSON.stringify({ link: mail.link }), this.config.auth.encryptionKey);
    const request: MailRequest = { to: mail.to, template: mail.template, values: mail.values, ...(sealed ? { sealed } : {}) };
    this.outbox.record(em, 'mail.requested', request);
  }

  /** The mail worker's step: render and hand to the transport. A transport error fails the job, which is retried. */
  async send(id: string, mail: MailRequest): Promise<void> {
    const link = mail.sealed ? (JSON.parse(decrypt(mail.sealed, this.config.auth.encryptionKey)) as { link: string }).link : undefined;
    const rendered = this.templates.render(mail.template, { ...mail.values, ...(link ? { link } : {}) });
    await this.transport.send({ id, to: mail.to, link, ...rendered });
  }
}
