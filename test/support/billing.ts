import { connectPayouts } from '../factories/payouts';
import { as } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { TestApp, useTestApp } from './app';
import { lateBound } from './late-bound';
import { deliver, stripeEnv } from './stripe-events';
import { StripeObject, StripeTestServer } from './stripe-server';
import { waitFor } from './wait';

/** A billing suite's pair: the app, and the local Stripe-compatible server its Stripe SDK talks to. */
export interface BillingSuite {
  t: TestApp;
  stripe: StripeTestServer;
}

/** For the enclosing `describe`: a Stripe test server, and an app pointed at it (started in that order, closed in reverse). */
export function useBillingApp(env: Record<string, string> = {}): BillingSuite {
  let stripe: StripeTestServer | undefined;
  beforeAll(async () => {
    stripe = await StripeTestServer.start();
  });
  const t = useTestApp({ env: () => ({ ...stripeEnv(stripe!), ...env }) });
  afterAll(async () => {
    await stripe?.close();
    stripe = undefined;
  });
  return { t, stripe: lateBound(() => stripe, 'the Stripe test server') };
}

/**
 * A signed-in user who may set prices: with `CONNECT_REQUIRED=true` onboarded through the real flow first (a
 * connected account with charges enabled, at `stripe`); in platform-collects mode as is.
 */
export async function seller(t: TestApp, stripe?: StripeTestServer): Promise<SignedInUser> {
  const user = await createSignedInUser(t);
  if (t.config.connect.required) {
    if (!stripe) throw new Error('CONNECT_REQUIRED=true: a seller is onboarded at the Stripe test server; pass it');
    await connectPayouts(t, stripe, user);
  }
  return user;
}

/** A signed-in creator with a monthly subscription price (so with a Stripe product and price); see `seller`. */
export async function creatorAt(t: TestApp, cents: number, stripe?: StripeTestServer): Promise<SignedInUser> {
  const creator = await seller(t, stripe);
  await as(t, creator).patch('/me', { subscription_price_cents: cents }).expect(200);
  return creator;
}

/** The fan starts a subscription checkout for the creator and pays at Stripe (no webhook delivered yet). */
export async function paySubscription({ t, stripe }: BillingSuite, fan: SignedInUser, creator: SignedInUser): Promise<{ session: StripeObject; subscription: StripeObject }> {
  const started = await as(t, fan).post(`/users/${creator.username}/subscription`).expect(201);
  const { session, subscription } = stripe.completeCheckout(started.body.checkout_session_id);
  return { session, subscription: subscription! };
}

/** The buyer starts a pay-per-view checkout for the post and pays at Stripe (no webhook delivered yet). */
export async function payUnlock({ t, stripe }: BillingSuite, buyer: SignedInUser, postId: string): Promise<{ session: StripeObject; paymentIntent: StripeObject }> {
  const started = await as(t, buyer).post(`/posts/${postId}/unlock`).expect(201);
  const { session, paymentIntent } = stripe.completeCheckout(started.body.checkout_session_id);
  return { session, paymentIntent: paymentIntent! };
}

/** Waits until a worker has applied the stored Stripe event; answers when. */
export function processed(t: TestApp, eventId: string): Promise<string | null | undefined> {
  return waitFor(
    async () => (await t.sql<{ processed_at: string | null }>('select processed_at from stripe_events where stripe_event_id = ?', [eventId]))[0]?.processed_at,
    (at) => !!at,
  );
}

/** Delivers a signed event, expects `200`, and waits until a worker applied it. */
export async function applied(t: TestApp, event: StripeObject): Promise<void> {
  await deliver(t, event).expect(200);
  expect(await processed(t, event.id)).toBeTruthy();
}
