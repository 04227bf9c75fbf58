import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';

/** A tip as its payment records it (docs/inbox.md#tips). */
export interface PaidTip {
  tipperId: string;
  creatorId: string;
  postId: string | null;
  conversationId: string | null;
  amountCents: number;
  currency: string;
  message: string | null;
  checkoutSessionId: string | null;
  paymentIntentId: string | null;
}

/**
 * Billing's `tips`, in the webhook worker's transaction. One row per payment: unique on the checkout session and on
 * the payment intent, so a replayed completion records nothing, and a refund that overtook its completion (recorded
 * `refunded` from the payment intent) makes the completion record nothing either.
 */
@Injectable()
export class TipsRepository {
  /** The new tip's id; null when this payment was recorded already (a replay, or its refund came first). */
  async recordPaid(em: EntityManager, tip: PaidTip): Promise<string | null> {
    const [row] = await em.execute<{ id: string }[]>(
      `insert into tips (id, tipper_id, creator_id, post_id, conversation_id, amount_cents, currency, message, status,
                         stripe_checkout_session_id, stripe_payment_intent_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, 'paid', ?, ?, now())
       on conflict do nothing returning id`,
      [v7(), tip.tipperId, tip.creatorId, tip.postId, tip.conversationId, tip.amountCents, tip.currency, tip.message, tip.checkoutSessionId, tip.paymentIntentId],
    );
    return row?.id ?? null;
  }

  /** A full refund that arrived before its completion: the tip is known refunded, so the completion delivers nothing. */
  async recordRefundFirst(em: EntityManager, tip: Omit<PaidTip, 'checkoutSessionId' | 'message'>): Promise<void> {
    await em.execute(
      `insert into tips (id, tipper_id, creator_id, post_id, conversation_id, amount_cents, currency, status, stripe_payment_intent_id, created_at, refunded_at)
       values (?, ?, ?, ?, ?, ?, ?, 'refunded', ?, now(), now())
       on conflict (stripe_payment_intent_id) do update set status = 'refunded', refunded_at = coalesce(tips.refunded_at, now())`,
      [v7(), tip.tipperId, tip.creatorId, tip.postId, tip.conversationId, tip.amountCents, tip.currency, tip.paymentIntentId],
    );
  }

  /** A full refund of the tip paid with this payment intent; false when none is known (yet). */
  async markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update tips set status = 'refunded', refunded_at = coalesce(refunded_at, now()) where stripe_payment_intent_id = ? returning id`,
      [paymentIntentId],
    );
    return rows.length > 0;
  }

  async markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    await em.execute(`update tips set status = 'disputed' where stripe_payment_intent_id = ? and status = 'paid'`, [paymentIntentId]);
  }

  /** A dispute closed: `paid` (won) or `refunded` (lost: the money went back). */
  async settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    await em.execute(
      `update tips set status = ?, refunded_at = case when ? = 'refunded' then coalesce(refunded_at, now()) else refunded_at end
        where stripe_payment_intent_id = ? and status = 'disputed'`,
      [outcome, outcome, paymentIntentId],
    );
  }
}
