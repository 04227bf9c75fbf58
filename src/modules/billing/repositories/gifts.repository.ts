import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/** A gift as asked at checkout, before it is paid. */
export interface AskedGift {
  id: string;
  gifterId: string;
  creatorId: string;
  tierId: string;
  recipientId: string | null;
  recipientEmail: string | null;
  months: number;
  message: string | null;
  amountCents: number;
  currency: string;
  checkoutSessionId: string;
}

/** A gift row as the recipient sees it. */
export interface GiftRow {
  id: string;
  creator_id: string;
  tier_id: string;
  gifter_id: string;
  recipient_id: string | null;
  recipient_email: string | null;
  months: number;
  message: string | null;
  starts_at: Date;
  ends_at: Date;
}

const GIFT_COLUMNS = 'id, creator_id, tier_id, gifter_id, recipient_id, recipient_email, months, message, starts_at, ends_at';

/**
 * Billing's `gifts` (docs/billing.md#gifts). A grant is `[starts_at, ends_at)`; a new one for the same recipient and
 * creator starts where the latest paid one ends (stacking), computed under a per-pair advisory lock
 * (`gifts:<recipient>:<creator>`) so two gifts paid at once never overlap.
 */
@Injectable()
export class GiftsRepository {
  /** The gift a checkout session was opened for; a reused open session keeps its first row. */
  async recordAsked(em: EntityManager, gift: AskedGift): Promise<void> {
    await em.execute(
      `insert into gifts (id, gifter_id, creator_id, tier_id, recipient_id, recipient_email, months, message, amount_cents, currency, status, stripe_checkout_session_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, now()) on conflict (stripe_checkout_session_id) do nothing`,
      [gift.id, gift.gifterId, gift.creatorId, gift.tierId, gift.recipientId, gift.recipientEmail, gift.months, gift.message, gift.amountCents, gift.currency, gift.checkoutSessionId],
    );
  }

  /** The pending gift of this session, locked; null when there is none (paid already, or not a gift of ours). */
  async lockPending(em: EntityManager, checkoutSessionId: string): Promise<{ id: string; recipient_id: string | null; creator_id: string; months: number } | null> {
    const [row] = await em.execute<{ id: string; recipient_id: string | null; creator_id: string; months: number }[]>(
      `select id, recipient_id, creator_id, months from gifts where stripe_checkout_session_id = ? and status = 'pending' for update`,
      [checkoutSessionId],
    );
    return row ?? null;
  }

  /** Whether a gift row exists for this session at all (a completion before the row was written is retried). */
  async existsFor(em: EntityManager, checkoutSessionId: string): Promise<boolean> {
    const [row] = await em.execute<{ ok: boolean }[]>('select exists (select 1 from gifts where stripe_checkout_session_id = ?) as ok', [checkoutSessionId]);
    return row.ok;
  }

  /** Serialises the grants of one recipient and creator (stacking). */
  async lockPair(em: EntityManager, recipientId: string, creatorId: string): Promise<void> {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended('gifts:' || ? || ':' || ?, 0))`, [recipientId, creatorId]);
  }

  /**
   * Marks the gift paid; for a recipient account (`grantTo`), its grant starts now or where the latest paid gift of the
   * same pair ends, for `months` (under `lockPair`). Without one (an e-mailed gift), `tokenHash` waits for redemption.
   */
  async markPaid(em: EntityManager, id: string, paymentIntentId: string | null, grantTo: { recipientId: string; creatorId: string } | null, tokenHash: string | null): Promise<void> {
    await em.execute(`update gifts set status = 'paid', paid_at = now(), stripe_payment_intent_id = ?, redeem_token_hash = ? where id = ?`, [paymentIntentId, tokenHash, id]);
    if (grantTo) await this.grant(em, id, grantTo.recipientId, grantTo.creatorId);
  }

  /** Starts the grant of gift `id` for `recipientId` (caller holds `lockPair`): after the latest paid grant of the pair. */
  async grant(em: EntityManager, id: string, recipientId: string, creatorId: string): Promise<void> {
    await em.execute(
      `update gifts g set recipient_id = ?,
              starts_at = greatest(now(), coalesce((select max(o.ends_at) from gifts o where o.recipient_id = ? and o.creator_id = ? and o.status = 'paid' and o.id <> g.id), now())),
              ends_at = greatest(now(), coalesce((select max(o.ends_at) from gifts o where o.recipient_id = ? and o.creator_id = ? and o.status = 'paid' and o.id <> g.id), now()))
                        + make_interval(months => g.months)
        where g.id = ?`,
      [recipientId, recipientId, creatorId, recipientId, creatorId, id],
    );
  }

  /** The paid, unredeemed e-mailed gift with this token hash, locked; null when used or unknown. */
  async lockRedeemable(em: EntityManager, tokenHash: string): Promise<{ id: string; creator_id: string } | null> {
    const [row] = await em.execute<{ id: string; creator_id: string }[]>(
      `select id, creator_id from gifts where redeem_token_hash = ? and status = 'paid' and recipient_id is null and redeemed_at is null for update`,
      [tokenHash],
    );
    return row ?? null;
  }

  async markRedeemed(em: EntityManager, id: string): Promise<void> {
    await em.execute('update gifts set redeemed_at = now(), redeem_token_hash = null where id = ?', [id]);
  }

  async find(em: EntityManager, id: string): Promise<GiftRow | null> {
    const [row] = await em.execute<GiftRow[]>(`select ${GIFT_COLUMNS} from gifts where id = ?`, [id]);
    return row ?? null;
  }

  /** A full refund of the gift paid with this payment intent ends its grant; false when none is known. */
  async markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `update gifts set status = 'refunded', refunded_at = coalesce(refunded_at, now()) where stripe_payment_intent_id = ? returning id`,
      [paymentIntentId],
    );
    return rows.length > 0;
  }

  /**
   * A full refund that overtook its gift's completion (the payment intent's `metadata.gift_id`): the pending gift is
   * recorded refunded, so the completion grants nothing.
   */
  async recordRefundFirst(em: EntityManager, giftId: string, paymentIntentId: string): Promise<void> {
    await em.execute(
      `update gifts set status = 'refunded', refunded_at = now(), stripe_payment_intent_id = ? where id = ? and status = 'pending'`,
      [paymentIntentId, giftId],
    );
  }

  async markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    await em.execute(`update gifts set status = 'disputed' where stripe_payment_intent_id = ? and status = 'paid'`, [paymentIntentId]);
  }

  async settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    await em.execute(
      `update gifts set status = ?, refunded_at = case when ? = 'refunded' then coalesce(refunded_at, now()) else refunded_at end
        where stripe_payment_intent_id = ? and status = 'disputed'`,
      [outcome, outcome, paymentIntentId],
    );
  }

  /** The account's gifts whose grant has not ended, newest first (`gifts_recipient_creator_index`). */
  async runningFor(em: EntityManager, recipientId: string): Promise<GiftRow[]> {
    return em.execute<GiftRow[]>(
      `select ${GIFT_COLUMNS} from gifts where recipient_id = ? and status = 'paid' and ends_at > now() order by ends_at desc, id desc limit 100`,
      [recipientId],
    );
  }
}
