import type { TestApp } from '../support/app';
import { deliver, stripeEvent } from '../support/stripe-events';
import { StripeObject, stripeId, StripeTestServer } from '../support/stripe-server';
import { waitFor } from '../support/wait';
import { as } from './posts';
import { SignedInUser } from './users';

/** `account.updated` as Stripe sends it to the Connect endpoint: the account's state, and `account` naming it. */
export function accountUpdated(account: StripeObject, options: { created?: number; id?: string } = {}): StripeObject {
  return { ...stripeEvent('account.updated', account, options), account: account.id };
}

/** `account.application.deauthorized`: the creator disconnected; the object is the platform's Connect application. */
export function accountDeauthorized(accountId: string): StripeObject {
  const application = { id: stripeId('ca'), object: 'application', name: 'x18' };
  return { ...stripeEvent('account.application.deauthorized', application), account: accountId };
}

/** Delivers a signed event and waits until a worker applied it (signed with `secret`: the Connect endpoint's). */
export async function deliverApplied(t: TestApp, event: StripeObject, secret?: string): Promise<void> {
  await deliver(t, event, { secret }).expect(200);
  const at = await waitFor(
    async () => (await t.sql<{ processed_at: string | null }>('select processed_at from stripe_events where stripe_event_id = ?', [event.id]))[0]?.processed_at,
    (value) => !!value,
  );
  if (!at) throw new Error(`Stripe event ${event.id} (${event.type}) was not applied`);
}

/**
 * The real flow that lets a creator sell: onboarding through the API (the Express account is created at the local
 * Stripe server), the creator finishing Stripe's form, and Stripe's `account.updated` applied by the worker. Answers
 * the account id.
 */
export async function connectPayouts(t: TestApp, stripe: StripeTestServer, user: SignedInUser, secret?: string): Promise<string> {
  await as(t, user).post('/me/payouts/onboarding').expect(201);
  const [account] = stripe.connect.accountsOf(user.id);
  if (!account) throw new Error(`no Stripe account was created for ${user.username}`);
  await deliverApplied(t, accountUpdated(stripe.connect.completeOnboarding(account.id)), secret);
  return account.id;
}
