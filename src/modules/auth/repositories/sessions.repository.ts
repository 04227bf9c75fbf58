import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { Role } from '@/common/auth/auth-user';
import { Session } from '../entities/session.entity';

export interface SessionIdentity {
  userId: string;
  role: Role;
}

export class SessionsRepository extends EntityRepository<Session> {
  /** `tokenHash` is the hash of a refresh token, as stored in `token`. */
  findByTokenHash(tokenHash: string): Promise<Session | null> {
    return this.findOne({ token: tokenHash });
  }

  /** Who a live session belongs to: not revoked, not expired, its user not suspended. */
  async findActiveIdentity(sessionId: string): Promise<SessionIdentity | undefined> {
    const [row] = await this.getEntityManager().execute<{ user_id: string; role: Role }[]>(
      `select s.user_id, u.role from sessions s join users u on u.id = s.user_id
        where s.id = ? and s.revoked_at is null and s.expires_at > now() and u.suspended_at is null`,
      [sessionId],
    );
    return row ? { userId: row.user_id, role: row.role } : undefined;
  }

  async touch(sessionId: string, at: Date): Promise<void> {
    await this.getEntityManager().fork().nativeUpdate(Session, { id: sessionId, revokedAt: null }, { lastUsedAt: at });
  }

  /** Revokes these live sessions; answers the ids it revoked. */
  async revokeByIds(sessionIds: string[], reason: string): Promise<string[]> {
    if (!sessionIds.length) return [];
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      'update sessions set revoked_at = now(), revoked_reason = ?, updated_at = now() where id in (?) and revoked_at is null returning id',
      [reason, sessionIds],
    );
    return rows.map((r) => r.id);
  }

  async revokeAllForUser(userId: string, reason: string, keep?: string, em: EntityManager = this.getEntityManager()): Promise<string[]> {
    const rows = await em.execute<{ id: string }[]>(
      `update sessions set revoked_at = now(), revoked_reason = ?, updated_at = now()
        where user_id = ? and revoked_at is null and id <> ? returning id`,
      [reason, userId, keep ?? '00000000-0000-0000-0000-000000000000'],
    );
    return rows.map((r) => r.id);
  }

  async activeIdsForUser(userId: string): Promise<string[]> {
    const sessions = await this.find({ user: userId, revokedAt: null, expiresAt: { $gt: new Date() } }, { fields: ['id'] });
    return sessions.map((s) => s.id);
  }

  listActive(userId: string): Promise<Session[]> {
    return this.find({ user: userId, revokedAt: null, expiresAt: { $gt: new Date() } }, { orderBy: { createdAt: 'desc' } });
  }
}
