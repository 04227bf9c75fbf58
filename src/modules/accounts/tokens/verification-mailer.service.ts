import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { MailService } from '@/modules/mail/mail.service';
import { User } from '@/modules/users/entities/user.entity';
import { AccountTokensService } from './account-tokens.service';

/** Issues a verification token and records its mail, in the caller's transaction (registration, resend, email change). */
@Injectable()
export class VerificationMailer {
  constructor(
    private readonly tokens: AccountTokensService,
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /**
   * `to` is the user's current address (verification) or the new one (change): not verified either way, so the mail
   * carries no user-chosen text (see MailService).
   */
  async send(em: EntityManager, user: User, to: string): Promise<void> {
    const change = to !== user.email;
    const token = await this.tokens.issue(em, user.id, change ? 'change_email' : 'verify_email', to);
    this.mail.request(em, {
      to,
      toVerified: false,
      template: 'verify-email',
      values: { name: user.displayName ?? user.username, email: to },
      link: `${this.config.mail.appUrl}/verify-email?token=${token}`,
    });
  }
}
