import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { RedisService } from '@/common/redis/redis.service';
import { CheckoutSessions } from './checkout-sessions.service';
import { CheckoutResponse } from './dto/billing.dto';
import { AskedCheckout } from './repositories/checkout-sessions.repository';
import { StripeClient } from './stripe/stripe.client';

/** Enough for Stripe to answer a session create; a waiting twin checks again meanwhile. */
const LOCK_MS = 30_000;
const WAIT_STEP_MS = 100;
const MAX_WAIT_MS = 10_000;

/**
 * One open Checkout session per buyer and target (a creator, or a post): while it is open, every request for the same
 * pair answers it, so two tabs or a double click cannot start two payments. Remembered in Redis until Stripe's expiry;
 * concurrent requests wait on a short per-pair lock. Should Redis be down, a second session can exist: the webhook
 * worker then refunds the second payment (the backstop). Every session created is recorded with what it asked
 * (`CheckoutSessions`) before its URL is answered, so no one pays a session the webhook would not recognise.
 */
@Injectable()
export class OpenCheckouts {
  private readonly logger = new Logger(OpenCheckouts.name);

  constructor(
    private readonly redis: RedisService,
    private readonly stripe: StripeClient,
    private readonly sessions: CheckoutSessions,
  ) {}

  async reuseOrCreate(pair: string, asked: AskedCheckout, createAtStripe: () => Promise<Stripe.Checkout.Session>): Promise<CheckoutResponse> {
    const create = async () => {
      const session = await createAtStripe();
      await this.sessions.record(session, asked);
      return session;
    };
    const key = this.redis.key('checkout', 'open', pair);
    const lock = `${key}:lock`;
    try {
      for (let waited = 0; waited <= MAX_WAIT_MS; waited += WAIT_STEP_MS) {
        const open = await this.open(key);
        if (open) return open;
        if (await this.redis.client.set(lock, '1', 'PX', LOCK_MS, 'NX')) {
          try {
            return await this.createAndRemember(key, create);
          } finally {
            await this.redis.client.del(lock).catch(() => 0);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
    } catch (error) {
      if (!isRedisError(error)) throw error;
      this.logger.warn(`open checkout not deduplicated (Redis: ${(error as Error).message})`);
    }
    return toResponse(await create());
  }

  /** The remembered session while Stripe still has it open; a completed or expired one is forgotten. */
  private async open(key: string): Promise<CheckoutResponse | undefined> {
    const id = await this.redis.client.get(key);
    if (!id) return undefined;
    const session = await this.stripe.find('read a checkout session', (stripe) => stripe.checkout.sessions.retrieve(id));
    if (session?.status === 'open' && session.url) return toResponse(session);
    await this.redis.client.del(key);
    return undefined;
  }

  private async createAndRemember(key: string, create: () => Promise<Stripe.Checkout.Session>): Promise<CheckoutResponse> {
    const session = await create();
    const ttl = Math.max(60, (session.expires_at ?? 0) - Math.floor(Date.now() / 1000));
    await this.redis.client.set(key, session.id, 'EX', ttl);
    return toResponse(session);
  }
}

function toResponse(session: Stripe.Checkout.Session): CheckoutResponse {
  return { checkout_url: session.url!, checkout_session_id: session.id };
}

function isRedisError(error: unknown): boolean {
  const name = (error as Error | undefined)?.name ?? '';
  return name === 'ReplyError' || name === 'MaxRetriesPerRequestError' || /Connection is closed|ECONNREFUSED|Stream isn't writeable/.test((error as Error)?.message ?? '');
}
