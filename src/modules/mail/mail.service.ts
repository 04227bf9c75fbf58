import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { decrypt, encrypt } from '@/common/security/encryption';
import { MailTemplates } from './mail-templates';
import { MailTransport } from './mail-transport';
import { MailRequest, MailTemplate, USER_CHOSEN_VALUES } from './mail.types';

export interface NewMail {
  to: string;
  /**
   * Whether `to` is an address its account has verified. Else the mail carries no user-chosen text (USER_CHOSEN_VALUES
   * are dropped here, before the outbox, and the template's personal blocks are left out).
   */
  toVerified: boolean;
  template: MailTemplate;
  values: Record<string, string>;
  /** A link carrying a secret (token, signed URL): sealed until the worker renders the mail. */
  link?: string;
}

/**
 * Mail is recorded in the caller's transaction (outbox `mail.requested`), relayed to the `mail` queue, and sent by a
 * worker: a request never waits for SMTP, and a mail server that is down, or a Redis that lost the job, loses nothing
 * (the relay sends an event again until its receipt exists).
 */
@Injectable()
export class MailService {
  private readonly templates = new MailTemplates();

  constructor(
    private readonly outbox: OutboxService,
    private readonly transport: MailTransport,
    private readonly config: AppConfig,
  ) {}

  /** Records a mail to send once the caller's transaction commits. */
  request(em: EntityManager, mail: NewMail): void {
    const sealed = mail.link === undefined ? undefined : encrypt(JSON.stringify({ link: mail.link }), this.config.auth.encryptionKey);
    const values = mail.toVerified ? mail.values : Object.fromEntries(Object.entries(mail.values).filter(([key]) => !USER_CHOSEN_VALUES.includes(key)));
    const request: MailRequest = { to: mail.to, template: mail.template, values, personal: mail.toVerified, ...(sealed ? { sealed } : {}) };
    this.outbox.record(em, 'mail.requested', request);
  }

  /**
   * The worker's step: render and hand to the transport; a transport error fails the job, which is retried. The receipt
   * follows the send, so a crash in between sends again: the event id is the Message-ID, for receivers to spot it.
   */
  @OnDomainEvent('mail.requested', { subscriber: 'mail.send', queue: QueueName.Mail })
  async onRequested(event: DomainEvent<'mail.requested'>, context: EventContext): Promise<void> {
    await this.send(context.eventId, event.payload);
  }

  async send(id: string, mail: MailRequest): Promise<void> {
    const link = mail.sealed ? (JSON.parse(decrypt(mail.sealed, this.config.auth.encryptionKey)) as { link: string }).link : undefined;
    const rendered = this.templates.render(mail.template, { ...mail.values, ...(link ? { link } : {}) }, mail.personal === true);
    await this.transport.send({ id, to: mail.to, link, ...rendered });
  }
}
