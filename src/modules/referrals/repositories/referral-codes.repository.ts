import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { ReferralCode } from '../entities/referral-code.entity';

export class ReferralCodesRepository extends EntityRepository<ReferralCode> {
  /** Soft-deleted codes included; callers decide what a deleted code means. */
  findByCode(code: string): Promise<ReferralCode | null> {
    return this.findOne({ code });
  }

  /**
   * Claims one use in the caller's transaction, or answers undefined when the code is unknown, deleted, expired
   * or used up. The row lock and re-check of an UPDATE make this safe under any concurrency.
   */
  async claimUse(em: EntityManager, code: string): Promise<{ id: string; userId: string } | undefined> {
    const [row] = await em.execute<{ id: string; user_id: string }[]>(
      `update referral_codes set uses_count = uses_count + 1
        where code = ? and deleted_at is null
          and (max_uses is null or uses_count < max_uses)
          and (expires_at is null or expires_at > now())
        returning id, user_id`,
      [code],
    );
    return row ? { id: row.id, userId: row.user_id } : undefined;
  }

  async softDeleteOwn(userId: string, code: string): Promise<boolean> {
    const affected = await this.nativeUpdate({ user: userId, code, deletedAt: null }, { deletedAt: new Date() });
    return affected > 0;
  }
}
