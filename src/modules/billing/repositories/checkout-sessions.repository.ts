import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { CheckoutSession, CheckoutSessionStatus } from '../entities/checkout-session.entity';

/** What a checkout asked of Stripe, recorded once Stripe answered the session. */
export type AskedCheckout = Pick<
  CheckoutSession,
  'mode' | 'buyerId' | 'creatorId' | 'postId' | 'messageId' | 'tipFor' | 'tipMessage' | 'amountCents' | 'currency' | 'destination'
>;

export class CheckoutSessionsRepository extends EntityRepository<CheckoutSession> {
  /** Idempotent: a retried request that Stripe answered with the same session (same idempotency key) records it once. */
  async record(id: string, asked: AskedCheckout, expiresAt: Date): Promise<void> {
    await this.getEntityManager().execute(
      `insert into checkout_sessions (id, mode, buyer_id, creator_id, post_id, message_id, tip_for, tip_message, amount_cents, currency, destination, status, expires_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?) on conflict (id) do nothing`,
      [
        id,
        asked.mode,
        asked.buyerId,
        asked.creatorId,
        asked.postId ?? null,
        asked.messageId ?? null,
        asked.tipFor ?? null,
        asked.tipMessage ?? null,
        asked.amountCents,
        asked.currency,
        asked.destination ?? null,
        expiresAt,
      ],
    );
  }

  /** In the webhook worker's transaction. */
  asked(em: EntityManager, id: string): Promise<CheckoutSession | null> {
    return em.findOne(CheckoutSession, { id });
  }

  /** Open sessions routed to this connected account (the partial index `checkout_sessions_open_destination_idx`). */
  openFor(em: EntityManager, destination: string): Promise<CheckoutSession[]> {
    return em.find(CheckoutSession, { destination, status: 'open' });
  }

  async settle(em: EntityManager, id: string, status: Exclude<CheckoutSessionStatus, 'open'>): Promise<void> {
    await em.nativeUpdate(CheckoutSession, { id, status: 'open' }, { status });
  }
}
