import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { OutboxService } from '@/common/outbox/outbox.service';
import { verifyPassword } from '@/common/security/password';
import { UserLifecycleService } from '@/modules/users/user-lifecycle.service';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AccountsErrors } from './accounts.errors';
import { SESSION_REVOCATION, SessionRevocation } from './accounts.ports';
import { DeleteAccountDto } from './dto/accounts.dto';
import { AccountDeletion } from './entities/account-deletion.entity';
import { AccountTokensService } from './tokens/account-tokens.service';

/**
 * `DELETE /me`. In one transaction: the account is deactivated (hidden everywhere, no password, no address), its
 * Google identities and mailed tokens stop working, the erasure is recorded and an `account.deleted` event queued.
 * Then every session is revoked at once. The worker (AccountEraser, on `account.deleted`) ends Stripe subscriptions
 * and erases the rest.
 */
@Injectable()
export class AccountDeletionService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserAccountsService,
    private readonly lifecycle: UserLifecycleService,
    @Inject(SESSION_REVOCATION) private readonly sessions: SessionRevocation,
    private readonly outbox: OutboxService,
    private readonly tokens: AccountTokensService,
  ) {}

  async delete(actor: AuthUser, dto: DeleteAccountDto): Promise<void> {
    const user = await this.users.getWithPassword(actor.id);
    if (user.passwordHash) {
      if (dto.current_password === undefined) throw AccountsErrors.confirmationMissing('current_password');
      if (!(await verifyPassword(user.passwordHash, dto.current_password))) throw AccountsErrors.wrongPassword();
    } else {
      if (dto.confirm_username === undefined) throw AccountsErrors.confirmationMissing('confirm_username');
      if (dto.confirm_username.toLowerCase() !== user.username.toLowerCase()) throw AccountsErrors.wrongUsername();
    }
    await this.em.fork().transactional(async (em: EntityManager) => {
      if (!(await this.lifecycle.deactivate(em, actor.id))) return;
      await this.tokens.voidAll(em, actor.id);
      em.create(AccountDeletion, { userId: actor.id });
      this.outbox.record(em, 'account.deleted', { userId: actor.id });
    });
    await this.sessions.revokeAllForUser(actor.id, 'deleted');
  }
}
