import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { hashPassword } from '@/common/security/password';
import { MailService } from '@/modules/mail/mail.service';
import { UserLifecycleService } from '@/modules/users/user-lifecycle.service';
import { normalizeEmail } from '@/modules/users/user-identity';
import { AccountsErrors } from './accounts.errors';
import { SESSION_REVOCATION, SessionRevocation } from './accounts.ports';
import { ResetPasswordDto } from './dto/accounts.dto';
import { AccountTokensService } from './tokens/account-tokens.service';

const PASSWORD_MIN = 10;

/**
 * Forgot/reset password. The request only records the address (outbox); the worker looks it up and mails a link.
 * So the answer and its timing are the same whether an account uses the address or not: no enumeration.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
    private readonly lifecycle: UserLifecycleService,
    private readonly tokens: AccountTokensService,
    @Inject(SESSION_REVOCATION) private readonly sessions: SessionRevocation,
  ) {}

  async forgot(email: string): Promise<void> {
    await this.em.fork().transactional(async (em: EntityManager) => {
      this.outbox.record(em, 'password_reset.requested', { email: normalizeEmail(email) });
    });
  }

  /** Sets the password (a first one for a Google-only account), voids every other mailed token, and revokes every session at once. */
  async reset(dto: ResetPasswordDto): Promise<void> {
    if (dto.new_password.length < PASSWORD_MIN) throw AccountsErrors.passwordTooShort();
    const passwordHash = await hashPassword(dto.new_password);
    const userId = await this.em.fork().transactional(async (em: EntityManager) => {
      const used = await this.tokens.consume(em, ['reset_password'], dto.token);
      if (!used) throw AccountsErrors.invalidToken();
      await this.lifecycle.setPassword(em, used.userId, passwordHash);
      await this.tokens.voidAll(em, used.userId);
      return used.userId;
    });
    await this.sessions.revokeAllForUser(userId, 'password_reset');
  }
}

/**
 * The worker's side of a forgot-password request: a link when an active account uses the address, nothing otherwise.
 * The token, the `mail.requested` event and the receipt commit together: one link per request.
 */
@Injectable()
export class ResetLinkMailer {
  constructor(
    private readonly lifecycle: UserLifecycleService,
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /** A newer link voids older ones. */
  @OnDomainEvent('password_reset.requested', { subscriber: 'accounts.reset-link' })
  async onRequested(event: DomainEvent<'password_reset.requested'>, context: EventContext): Promise<void> {
    const { email } = event.payload;
    await context.transaction(async (em: EntityManager) => {
      const user = await this.lifecycle.findActiveByEmail(em, email);
      if (!user) return;
      const token = await this.tokens.issue(em, user.id, 'reset_password');
      this.mail.request(em, {
        to: user.email,
        toVerified: user.emailVerified,
        template: 'reset-password',
        values: { name: user.displayName ?? user.username, username: user.username },
        link: `${this.config.mail.appUrl}/reset-password?token=${token}`,
      });
    });
  }
}
