import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { AuditService } from '@/modules/audit/audit.service';
import { SessionsService } from '@/modules/auth/sessions.service';
import { OwnUserResponse, toOwnUserResponse } from '@/modules/users/dto/user.response';
import { User, UserRole } from '@/modules/users/entities/user.entity';
import { UserModerationService } from '@/modules/users/user-moderation.service';

/**
 * Account moderation. Each change commits with its audit entry in one transaction; every change that narrows access
 * takes effect on the next request (cached sessions are dropped after the commit), not at token expiry.
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserModerationService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  /** Loads the account in a transaction, applies `change` and commits it with the audit entry the change wrote. */
  private async moderate(username: string, change: (em: EntityManager, user: User) => Promise<void>): Promise<User> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const user = await this.users.getByUsername(username, em);
      await change(em, user);
      return user;
    });
  }

  async verify(actor: AuthUser, username: string): Promise<OwnUserResponse> {
    const user = await this.moderate(username, async (em, target) => {
      this.users.moderateIn(em, target, { verified: true });
      this.audit.record(em, actor, { action: 'user.verify', targetUserId: target.id });
    });
    return toOwnUserResponse(user);
  }

  async suspend(actor: AuthUser, username: string): Promise<OwnUserResponse> {
    let revoked: string[] = [];
    const user = await this.moderate(username, async (em, target) => {
      revoked = await this.suspendIn(em, actor, target);
    });
    await this.sessions.dropCached(revoked);
    return toOwnUserResponse(user);
  }

  /**
   * Suspends `user` in the caller's transaction, with its audit entry (also for a report's `suspend_user`). Answers the
   * revoked sessions: the caller drops their cached copies once the transaction has committed.
   */
  async suspendIn(em: EntityManager, actor: AuthUser, user: User, note?: string | null): Promise<string[]> {
    if (user.id === actor.id) throw AppException.unprocessable('Admins cannot suspend themselves', 'username');
    this.users.moderateIn(em, user, { suspendedAt: user.suspendedAt ?? new Date() });
    this.audit.record(em, actor, { action: 'user.suspend', targetUserId: user.id, note });
    return this.sessions.revokeAllForUserIn(em, user.id, 'suspended');
  }

  /** `suspendIn` for an account known by id (a report's `suspend_user`). */
  async suspendByIdIn(em: EntityManager, actor: AuthUser, userId: string, note?: string | null): Promise<string[]> {
    return this.suspendIn(em, actor, await this.users.getById(em, userId), note);
  }

  /** After a committed `suspendIn`: the suspended user's tokens stop working at once. */
  dropCachedSessions(sessionIds: string[]): Promise<void> {
    return this.sessions.dropCached(sessionIds);
  }

  async unsuspend(actor: AuthUser, username: string): Promise<OwnUserResponse> {
    const user = await this.moderate(username, async (em, target) => {
      this.users.moderateIn(em, target, { suspendedAt: null });
      this.audit.record(em, actor, { action: 'user.unsuspend', targetUserId: target.id });
    });
    return toOwnUserResponse(user);
  }

  async changeRole(actor: AuthUser, username: string, role: UserRole): Promise<OwnUserResponse> {
    const user = await this.moderate(username, async (em, target) => {
      if (target.id === actor.id && role !== 'admin') throw AppException.unprocessable('Admins cannot demote themselves', 'role');
      const before = target.role;
      this.users.moderateIn(em, target, { role });
      this.audit.record(em, actor, { action: 'user.role', targetUserId: target.id, note: `${before} → ${role}` });
    });
    await this.sessions.forgetUser(user.id);
    return toOwnUserResponse(user);
  }
}
