import Stripe from 'stripe';
import type { Test } from 'supertest';
import type { TestApp } from './app';
import { fixture, nowSeconds, StripeObject, stripeId, StripeTestServer } from './stripe-server';

export const WEBHOOK_SECRET = 'whsec_x18_local_test_secret';
export const WEBHOOK_PATH = '/api/v1/webhooks/stripe';

/** The environment that points the app's Stripe SDK at the local server. */
export function stripeEnv(server: StripeTestServer): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_x18_local',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_BASE: server.url,
    CHECKOUT_SUCCESS_URL: 'https://app.example.test/checkout/success',
    CHECKOUT_CANCEL_URL: 'https://app.example.test/checkout/cancel',
  };
}

/** A webhook event in Stripe's shape (fixtures/event.json) wrapping `object`. */
export function stripeEvent(type: string, object: StripeObject, options: { id?: string; created?: number; previousAttributes?: StripeObject } = {}): StripeObject {
  return {
    ...fixture('event'),
    id: options.id ?? stripeId('evt'),
    type,
    created: options.created ?? nowSeconds(),
    api_version: Stripe.API_VERSION,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
  };
}

/** The body and a `Stripe-Signature` for it, signed as Stripe signs (optionally at another time, e.g. stale). */
export function sign(event: StripeObject, options: { secret?: string; timestamp?: number } = {}): { payload: string; signature: string } {
  const payload = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET, timestamp: options.timestamp });
  return { payload, signature };
}

/** Delivers an event to the app's webhook as Stripe would: raw JSON body, signed. */
export function deliver(t: TestApp, event: StripeObject, options: { secret?: string; timestamp?: number } = {}): Test {
  const { payload, signature } = sign(event, options);
  return t.http.post(WEBHOOK_PATH).set('Content-Type', 'application/json; charset=utf-8').set('Stripe-Signature', signature).send(payload);
}
