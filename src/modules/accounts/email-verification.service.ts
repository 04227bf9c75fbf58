import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { verifyPassword } from '@/common/security/password';
import { MailService } from '@/modules/mail/mail.service';
import { OwnUserResponse, toOwnUserResponse } from '@/modules/users/dto/user.response';
import { UserLifecycleService } from '@/modules/users/user-lifecycle.service';
import { normalizeEmail } from '@/modules/users/user-identity';
import { UsersErrors } from '@/modules/users/users.errors';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AccountsErrors } from './accounts.errors';
import { ChangeEmailDto } from './dto/accounts.dto';
import { AccountTokensService } from './tokens/account-tokens.service';
import { VerificationMailer } from './tokens/verification-mailer.service';

/** Verifying an address (after registration or for an email change), resending the link, and changing the address. */
@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserAccountsService,
    private readonly lifecycle: UserLifecycleService,
    private readonly tokens: AccountTokensService,
    private readonly verification: VerificationMailer,
    private readonly mail: MailService,
  ) {}

  /**
   * No sign-in needed: the link may be opened on another device. A taken new address (someone was quicker) is 409.
   * The account's other mailed tokens (a pending change, a reset link to the old address) stop working.
   */
  async verify(token: string): Promise<OwnUserResponse> {
    return this.em.fork().transactional(async (em) => {
      const used = await this.tokens.consume(em, ['verify_email', 'change_email'], token);
      if (!used?.email) throw AccountsErrors.invalidToken();
      const user = await this.lifecycle.confirmEmail(em, used.userId, used.email, used.purpose === 'change_email');
      if (!user) throw AccountsErrors.invalidToken();
      await this.tokens.voidAll(em, user.id);
      return toOwnUserResponse(user);
    });
  }

  /** A fresh link to the current address; earlier links stop working. */
  async resend(actor: AuthUser): Promise<void> {
    const user = await this.users.getWithPassword(actor.id);
    if (user.emailVerified) throw AccountsErrors.alreadyVerified();
    await this.em.fork().transactional((em: EntityManager) => this.verification.send(em, em.merge(user), user.email));
  }

  /** The address changes only once the new one is verified; the old one is told at once. */
  async change(actor: AuthUser, dto: ChangeEmailDto): Promise<void> {
    const user = await this.users.getWithPassword(actor.id);
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, dto.current_password))) throw AccountsErrors.wrongPassword();
    const newEmail = normalizeEmail(dto.new_email);
    if (newEmail === user.email) throw AccountsErrors.sameEmail();
    await this.em.fork().transactional(async (em: EntityManager) => {
      if (await this.lifecycle.emailTaken(em, newEmail)) throw UsersErrors.taken('email');
      const own = em.merge(user);
      await this.verification.send(em, own, newEmail);
      this.mail.request(em, {
        to: own.email,
        toVerified: own.emailVerified,
        template: 'email-change-notice',
        values: { name: own.displayName ?? own.username, username: own.username, new_email: newEmail },
      });
    });
  }
}
