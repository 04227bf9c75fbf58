import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { hashPassword, verifyPassword } from '@/common/security/password';
import { AccountTokensService } from '@/modules/accounts/tokens/account-tokens.service';
import { UserLifecycleService } from '@/modules/users/user-lifecycle.service';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AuthErrors } from './auth.errors';
import { ChangePasswordDto } from './dto/auth.dto';
import { SessionsService } from './sessions.service';

/**
 * `POST /auth/password`. Wrong guesses spend the account's login budget (the route's `@RateLimit('loginAccount')`).
 * The new password and the voiding of every mailed token (a reset link, a pending email change: see
 * AccountTokensService.voidAll) commit together; then every other session is revoked.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserAccountsService,
    private readonly lifecycle: UserLifecycleService,
    private readonly tokens: AccountTokensService,
    private readonly sessions: SessionsService,
  ) {}

  async change(actor: AuthUser, dto: ChangePasswordDto): Promise<void> {
    const user = await this.users.getWithPassword(actor.id);
    if (!user.passwordHash || !(await verifyPassword(user.passwordHash, dto.current_password))) throw AuthErrors.wrongCurrentPassword();
    const passwordHash = await hashPassword(dto.new_password);
    await this.em.fork().transactional(async (em: EntityManager) => {
      await this.lifecycle.setPassword(em, actor.id, passwordHash);
      await this.tokens.voidAll(em, actor.id);
    });
    await this.sessions.revokeAllForUser(actor.id, 'password_changed', actor.sessionId);
  }
}
