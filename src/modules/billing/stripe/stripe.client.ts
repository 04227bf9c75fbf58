import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { BillingErrors } from '../billing.errors';

/** Stripe's own tolerance for webhook timestamps (seconds). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
const STRIPE_KEY_MAX = 255;

/** Which webhook endpoint's secret signed an event: the platform's own, or the Connect endpoint's. */
export type WebhookEndpoint = 'platform' | 'connect';
export interface VerifiedEvent {
  event: Stripe.Event;
  endpoint: WebhookEndpoint;
}

/** `STRIPE_API_BASE` (e.g. a local Stripe-compatible server) as the SDK's host, port and protocol. */
function endpoint(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * The key sent to Stripe for a client's `Idempotency-Key`. Ours are per user, Stripe's per account: the user id
 * keeps two users' equal keys apart (hashed when the pair would pass Stripe's 255 characters).
 */
export function stripeIdempotencyKey(userId: string, key: string | undefined): string | undefined {
  if (!key) return undefined;
  const scoped = `${userId}:${key}`;
  return scoped.length <= STRIPE_KEY_MAX ? scoped : `${userId}:${createHash('sha256').update(key).digest('hex')}`;
}

/** The SDK from `STRIPE_SECRET_KEY`; every call's Stripe error becomes a problem answer, never a 500. */
@Injectable()
export class StripeClient {
  private readonly logger = new Logger('Stripe');
  private readonly stripe?: Stripe;

  constructor(private readonly config: AppConfig) {
    const { secretKey, apiBase } = config.stripe;
    if (!secretKey) return;
    this.stripe = new Stripe(secretKey, {
      ...endpoint(apiBase),
      // Retries reuse the request's idempotency key (the SDK adds one to every POST), so they never pay twice.
      maxNetworkRetries: 2,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'x18' },
    });
  }

  get configured(): boolean {
    return !!this.stripe;
  }

  call<T>(action: string, request: (stripe: Stripe) => Promise<T>): Promise<T> {
    return this.run(action, request, false) as Promise<T>;
  }

  /** Like `call`, for a read whose object may be gone at Stripe (deleted test data, another account): null then. */
  find<T>(action: string, request: (stripe: Stripe) => Promise<T>): Promise<T | null> {
    return this.run(action, request, true);
  }

  /**
   * The verified event and the endpoint whose secret signed it, or `400` for a missing, forged or stale (over five
   * minutes) signature. Signed by the platform endpoint's secret or, when set, the Connect endpoint's (Stripe sends
   * connected accounts' events there).
   */
  verifyWebhook(rawBody: Buffer | undefined, signature: string | undefined): VerifiedEvent {
    const { webhookSecret, connectWebhookSecret } = this.config.stripe;
    if (!webhookSecret) throw BillingErrors.notConfigured();
    if (!rawBody?.length || !signature) throw BillingErrors.badSignature();
    const endpoints: [WebhookEndpoint, string][] = [['platform', webhookSecret]];
    if (connectWebhookSecret) endpoints.push(['connect', connectWebhookSecret]);
    for (const [endpoint, secret] of endpoints) {
      try {
        return { event: Stripe.webhooks.constructEvent(rawBody, signature, secret, WEBHOOK_TOLERANCE_SECONDS), endpoint };
      } catch {
        // Not this endpoint's signature: try the next secret.
      }
    }
    throw BillingErrors.badSignature();
  }

  private async run<T>(action: string, request: (stripe: Stripe) => Promise<T>, missingIsNull: boolean): Promise<T | null> {
    if (!this.stripe) throw BillingErrors.notConfigured();
    try {
      return await request(this.stripe);
    } catch (error) {
      if (missingIsNull && error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
      throw this.translate(error, action);
    }
  }

  private translate(error: unknown, action: string): unknown {
    if (!(error instanceof Stripe.errors.StripeError)) return error;
    const { errors } = Stripe;
    if (error instanceof errors.StripeCardError) return BillingErrors.declined(error.message);
    if (error instanceof errors.StripeIdempotencyError) return BillingErrors.idempotencyMismatch();
    const summary = `${action}: ${error.type}${error.code ? ` ${error.code}` : ''} (status ${error.statusCode ?? '-'}, request ${error.requestId ?? '-'})`;
    if (error instanceof errors.StripeInvalidRequestError) {
      this.logger.warn(`Stripe refused to ${summary}`);
      return BillingErrors.rejected(action);
    }
    this.logger.error(`Stripe failed to ${summary}`);
    if (error instanceof errors.StripeConnectionError || error instanceof errors.StripeRateLimitError) return BillingErrors.stripeUnavailable();
    return BillingErrors.stripeFailed(action);
  }
}
