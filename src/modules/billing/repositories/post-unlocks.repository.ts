import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { SqlFragment, SqlOperand, sql } from '@/common/database/sql-fragment';
import { PostUnlock } from '../entities/post-unlock.entity';

export interface PaidUnlock {
  userId: string;
  postId: string;
  priceCents: number;
  currency: string;
  checkoutSessionId: string;
  paymentIntentId: string | null;
}

export class PostUnlocksRepository extends EntityRepository<PostUnlock> {
  /** Of `postIds`, those the user bought (and was not refunded). */
  async unlockedAmong(userId: string, postIds: string[]): Promise<Set<string>> {
    if (!postIds.length) return new Set();
    const q = PostUnlocksRepository.unlockedAmongSql(userId, postIds);
    const rows = await this.getEntityManager().execute<{ id: string }[]>(q.sql, [...q.params]);
    return new Set(rows.map((r) => r.id));
  }

  /** The same as a `select id` (`postIds` not empty), to run alone or inside a larger statement. */
  static unlockedAmongSql(userId: string, postIds: string[]): SqlFragment {
    return { sql: `select post_id as id from post_unlocks where user_id = ? and post_id in (?) and status = 'paid'`, params: [userId, postIds] };
  }

  /** The same as a predicate: `buyer` bought `post` (a probe of the unique `(user_id, post_id)` index). */
  static unlockedSqlOf(buyer: SqlOperand, post: SqlOperand): SqlFragment {
    return sql`exists (select 1 from post_unlocks pun where pun.user_id = ${buyer} and pun.post_id = ${post} and pun.status = 'paid')`;
  }

  /**
   * Records a paid purchase; true when it grants access now and did not before. A repeat of the same payment changes
   * nothing; a new payment after a refund (another payment intent) unlocks again; a payment already known as
   * refunded (its refund arrived first) stays refunded.
   */
  async recordPaid(em: EntityManager, unlock: PaidUnlock): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `insert into post_unlocks (id, user_id, post_id, price_cents, currency, status, stripe_checkout_session_id, stripe_payment_intent_id, created_at)
       values (?, ?, ?, ?, ?, 'paid', ?, ?, now())
       on conflict (user_id, post_id) do update
         set status = 'paid', price_cents = excluded.price_cents, currency = excluded.currency, refunded_at = null,
             stripe_checkout_session_id = excluded.stripe_checkout_session_id,
             stripe_payment_intent_id = excluded.stripe_payment_intent_id
         where post_unlocks.status = 'refunded'
           and post_unlocks.stripe_payment_intent_id is distinct from excluded.stripe_payment_intent_id
       returning id`,
      [v7(), unlock.userId, unlock.postId, unlock.priceCents, unlock.currency, unlock.checkoutSessionId, unlock.paymentIntentId],
    );
    return rows.length > 0;
  }

  /** The payment intent that paid for the user's standing purchase of the post, if any. */
  async paymentIntentOf(em: EntityManager, userId: string, postId: string): Promise<string | null> {
    const [row] = await em.execute<{ pi: string | null }[]>(
      `select stripe_payment_intent_id as pi from post_unlocks where user_id = ? and post_id = ? and status = 'paid'`,
      [userId, postId],
    );
    return row?.pi ?? null;
  }

  /** A dispute opened on this payment: a paid purchase stops granting access. */
  async markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    await em.execute(`update post_unlocks set status = 'disputed' where stripe_payment_intent_id = ? and status = 'paid'`, [paymentIntentId]);
  }

  /** A dispute closed: `paid` (won) restores access, `refunded` (lost: the money went back) keeps it revoked. */
  async settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    await em.execute(
      `update post_unlocks set status = ?, refunded_at = case when ? = 'refunded' then coalesce(refunded_at, now()) else refunded_at end
        where stripe_payment_intent_id = ? and status = 'disputed'`,
      [outcome, outcome, paymentIntentId],
    );
  }

  /** Revokes the purchase paid with this payment intent; false when none is known (yet). */
  async markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update post_unlocks set status = 'refunded', refunded_at = coalesce(refunded_at, now())
        where stripe_payment_intent_id = ? returning id`,
      [paymentIntentId],
    );
    return rows.length > 0;
  }

  /**
   * A refund that overtook its purchase: recorded refunded, so the late `checkout.session.completed` grants nothing.
   * The purchase may have been recorded meanwhile by a concurrent job (this insert then waits for it): the same
   * payment is revoked; another, standing payment is left alone.
   */
  async recordRefundFirst(em: EntityManager, unlock: Omit<PaidUnlock, 'checkoutSessionId'>): Promise<void> {
    await em.execute(
      `insert into post_unlocks (id, user_id, post_id, price_cents, currency, status, stripe_payment_intent_id, created_at, refunded_at)
       values (?, ?, ?, ?, ?, 'refunded', ?, now(), now())
       on conflict (user_id, post_id) do update
         set status = 'refunded', stripe_payment_intent_id = excluded.stripe_payment_intent_id, refunded_at = now()
         where post_unlocks.status = 'refunded'
            or post_unlocks.stripe_payment_intent_id = excluded.stripe_payment_intent_id`,
      [v7(), unlock.userId, unlock.postId, unlock.priceCents, unlock.currency, unlock.paymentIntentId],
    );
  }
}
