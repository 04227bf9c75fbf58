import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { AskedCheckout, CheckoutSessionsRepository } from './repositories/checkout-sessions.repository';
import { StripeClient } from './stripe/stripe.client';

/**
 * The Checkout sessions the service opened (`checkout_sessions`): recorded when Stripe answers one, consulted before a
 * completion is believed, and expired when the account they pay is deauthorized.
 */
@Injectable()
export class CheckoutSessions {
  private readonly logger = new Logger(CheckoutSessions.name);

  constructor(
    private readonly sessions: CheckoutSessionsRepository,
    private readonly stripe: StripeClient,
  ) {}

  record(session: Stripe.Checkout.Session, asked: AskedCheckout): Promise<void> {
    return this.sessions.record(session.id, asked, new Date((session.expires_at ?? Math.floor(Date.now() / 1000) + 86_400) * 1000));
  }

  /**
   * A completed session as it may be applied, or null when it is not one we opened for what it says. Recorded: the
   * amount, currency, buyer and target must be those asked, and those recorded are what apply. Not recorded (opened
   * before the table existed): Stripe's own copy decides, which only a session of the platform's own account has.
   */
  async completion(em: EntityManager, session: Stripe.Checkout.Session): Promise<Stripe.Checkout.Session | null> {
    const asked = await this.sessions.asked(em, session.id);
    if (!asked) {
      const remote = await this.stripe.find('read a checkout session', (stripe) => stripe.checkout.sessions.retrieve(session.id));
      if (!remote || remote.status !== 'complete') this.logger.warn(`checkout ${session.id} ignored: not a session of ours`);
      return remote?.status === 'complete' ? remote : null;
    }
    const asExpected =
      session.mode === asked.mode &&
      session.currency === asked.currency &&
      session.client_reference_id === asked.buyerId &&
      (asked.mode === 'subscription' ||
        (session.amount_total === asked.amountCents &&
          (session.metadata?.post_id ?? null) === (asked.postId ?? null) &&
          (session.metadata?.message_id ?? null) === (asked.messageId ?? null) &&
          (session.metadata?.tip_for ?? null) === (asked.tipFor ?? null)));
    if (!asExpected) {
      this.logger.warn(`checkout ${session.id} ignored: it does not say what was asked (${session.amount_total} ${session.currency})`);
      return null;
    }
    await this.sessions.settle(em, session.id, 'complete');
    const metadata = {
      ...session.metadata,
      ...(asked.postId ? { post_id: asked.postId } : {}),
      ...(asked.messageId ? { message_id: asked.messageId } : {}),
      // A tip's target and note are what was asked (the note never went to Stripe).
      ...(asked.tipFor ? { tip_for: asked.tipFor, tip_message: asked.tipMessage ?? '' } : {}),
      creator_id: asked.creatorId,
    };
    return { ...session, client_reference_id: asked.buyerId, metadata };
  }

  /**
   * `account.application.deauthorized`: the sessions still open for that account would pay it; each is expired at
   * Stripe (a buyer's next checkout opens a new one, routed as the account's state now allows).
   */
  async expireOpenFor(em: EntityManager, destination: string): Promise<void> {
    for (const row of await this.sessions.openFor(em, destination)) {
      const remote = await this.stripe.find('read a checkout session', (stripe) => stripe.checkout.sessions.retrieve(row.id));
      if (remote?.status === 'open') await this.stripe.call('expire a checkout session', (stripe) => stripe.checkout.sessions.expire(row.id));
      await this.sessions.settle(em, row.id, remote?.status === 'complete' ? 'complete' : 'expired');
    }
  }
}
