import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { PostUnlock } from '../entities/post-unlock.entity';

/** What a purchase buys: a pay-per-view post (`post_unlocks`) or a paid direct message (`message_unlocks`). */
export type SaleKind = 'post' | 'message';

/** The table of each kind of purchase and its target's column; both tables have the same shape and rules. */
const TABLES: Record<SaleKind, { table: string; column: string }> = {
  post: { table: 'post_unlocks', column: 'post_id' },
  message: { table: 'message_unlocks', column: 'message_id' },
};

export interface PaidUnlock {
  kind: SaleKind;
  userId: string;
  /** The post or message bought. */
  itemId: string;
  priceCents: number;
  currency: string;
  checkoutSessionId: string;
  paymentIntentId: string | null;
}

/**
 * Purchases of both kinds (`post_unlocks`, `message_unlocks`). The by-payment-intent changes (refund, dispute) look in
 * both tables: a payment intent paid for one purchase only.
 */
export class PostUnlocksRepository extends EntityRepository<PostUnlock> {
  /**
   * Records a paid purchase; true when it grants access now and did not before. A repeat of the same payment changes
   * nothing; a new payment after a refund (another payment intent) unlocks again; a payment already known as
   * refunded (its refund arrived first) stays refunded.
   */
  async recordPaid(em: EntityManager, unlock: PaidUnlock): Promise<boolean> {
    const { table, column } = TABLES[unlock.kind];
    const rows = await em.execute<{ id: string }[]>(
      `insert into ${table} (id, user_id, ${column}, price_cents, currency, status, stripe_checkout_session_id, stripe_payment_intent_id, created_at)
       values (?, ?, ?, ?, ?, 'paid', ?, ?, now())
       on conflict (user_id, ${column}) do update
         set status = 'paid', price_cents = excluded.price_cents, currency = excluded.currency, refunded_at = null,
             stripe_checkout_session_id = excluded.stripe_checkout_session_id,
             stripe_payment_intent_id = excluded.stripe_payment_intent_id
         where ${table}.status = 'refunded'
           and ${table}.stripe_payment_intent_id is distinct from excluded.stripe_payment_intent_id
       returning id`,
      [v7(), unlock.userId, unlock.itemId, unlock.priceCents, unlock.currency, unlock.checkoutSessionId, unlock.paymentIntentId],
    );
    return rows.length > 0;
  }

  /** The payment intent that paid for the user's standing purchase of the item, if any. */
  async paymentIntentOf(em: EntityManager, kind: SaleKind, userId: string, itemId: string): Promise<string | null> {
    const { table, column } = TABLES[kind];
    const [row] = await em.execute<{ pi: string | null }[]>(
      `select stripe_payment_intent_id as pi from ${table} where user_id = ? and ${column} = ? and status = 'paid'`,
      [userId, itemId],
    );
    return row?.pi ?? null;
  }

  /** A dispute opened on this payment: a paid purchase stops granting access. */
  async markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    for (const { table } of Object.values(TABLES)) {
      await em.execute(`update ${table} set status = 'disputed' where stripe_payment_intent_id = ? and status = 'paid'`, [paymentIntentId]);
    }
  }

  /** A dispute closed: `paid` (won) restores access, `refunded` (lost: the money went back) keeps it revoked. */
  async settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    for (const { table } of Object.values(TABLES)) {
      await em.execute(
        `update ${table} set status = ?, refunded_at = case when ? = 'refunded' then coalesce(refunded_at, now()) else refunded_at end
          where stripe_payment_intent_id = ? and status = 'disputed'`,
        [outcome, outcome, paymentIntentId],
      );
    }
  }

  /** Revokes the purchase paid with this payment intent; false when none is known (yet). */
  async markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    let found = false;
    for (const { table } of Object.values(TABLES)) {
      const rows = await em.execute<{ id: string }[]>(
        `update ${table} set status = 'refunded', refunded_at = coalesce(refunded_at, now())
          where stripe_payment_intent_id = ? returning id`,
        [paymentIntentId],
      );
      found ||= rows.length > 0;
    }
    return found;
  }

  /**
   * A refund that overtook its purchase: recorded refunded, so the late `checkout.session.completed` grants nothing.
   * The purchase may have been recorded meanwhile by a concurrent job (this insert then waits for it): the same
   * payment is revoked; another, standing payment is left alone.
   */
  async recordRefundFirst(em: EntityManager, unlock: Omit<PaidUnlock, 'checkoutSessionId'>): Promise<void> {
    const { table, column } = TABLES[unlock.kind];
    await em.execute(
      `insert into ${table} (id, user_id, ${column}, price_cents, currency, status, stripe_payment_intent_id, created_at, refunded_at)
       values (?, ?, ?, ?, ?, 'refunded', ?, now(), now())
       on conflict (user_id, ${column}) do update
         set status = 'refunded', stripe_payment_intent_id = excluded.stripe_payment_intent_id, refunded_at = now()
         where ${table}.status = 'refunded'
            or ${table}.stripe_payment_intent_id = excluded.stripe_payment_intent_id`,
      [v7(), unlock.userId, unlock.itemId, unlock.priceCents, unlock.currency, unlock.paymentIntentId],
    );
  }
}
