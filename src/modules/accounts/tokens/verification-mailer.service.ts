import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { DomainEventHandlers } from '@/common/outbox/domain-event-handlers';
import { MailService } from '@/modules/mail/mail.service';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { AccountTokensService } from './account-tokens.service';

/** Issues a verification token and records its mail, in the caller's transaction (registration, resend, email change). */
@Injectable()
export class VerificationMailer implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly handlers: DomainEventHandlers,
  ) {}

  onModuleInit(): void {
    this.handlers.on('user.registered', ({ userId, email }) => this.onRegistered(userId, email));
  }

  /** The registration's mail; skipped when the address was verified or changed meanwhile (idempotent on redelivery). */
  async onRegistered(userId: string, email: string): Promise<void> {
    const user = await this.users.getActive(userId).catch(() => undefined);
    if (!user || user.emailVerified || user.email !== email) return;
    if (await this.tokens.hasLive(userId, 'verify_email')) return;
    await this.em.fork().transactional((em: EntityManager) => this.send(em, em.merge(user), email));
  }

  /** `to` is the user's current address (verification) or the new one (change). */
  async send(em: EntityManager, user: User, to: string): Promise<void> {
    const change = to !== user.email;
    const token = await this.tokens.issue(em, user.id, change ? 'change_email' : 'verify_email', to);
    this.mail.request(em, {
      to,
      template: 'verify-email',
      values: { name: user.displayName ?? user.username, email: to },
      link: `${this.config.mail.appUrl}/verify-email?token=${token}`,
    });
  }
}
