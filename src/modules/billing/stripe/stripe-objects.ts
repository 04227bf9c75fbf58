import Stripe from 'stripe';
import { SubscriptionStatus } from '../entities/subscription.entity';

/** Stripe's subscription, as our `subscriptions` row keeps it. */
export interface SubscriptionState {
  stripeSubscriptionId: string;
  status: SubscriptionStatus;
  priceCents: number | null;
  currency: string;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  latestInvoiceId: string | null;
  /** Stripe's `start_date` and `ended_at`: the months a subscriber counts as new and as churned. */
  startedAt: Date | null;
  endedAt: Date | null;
  /** The connected account its invoices pay out to (`transfer_data.destination`), or `PLATFORM_DESTINATION`. */
  payoutDestination: string;
  /** The tier its price names (`metadata.tier_id`, set on every tier's price), null for a price from before tiers. */
  tierId: string | null;
  /** The price's product: each tier has its own (the first tier the creator's original product, whose price names no tier). */
  productId: string | null;
  /** The price's billing interval (`month` unless Stripe says `year`). */
  interval: 'month' | 'year';
  /** A bundle's length (docs/billing.md#bundles): the price's `metadata.bundle_months`, else its monthly `interval_count` above 1. */
  bundleMonths: number | null;
  trialEnd: Date | null;
  /** The offer checkout applied (`metadata.offer_code`, docs/billing.md#offers). */
  offerCode?: string | null;
}

/** `subscriptions.payout_destination` of a subscription without `transfer_data`: the platform collects its invoices. */
export const PLATFORM_DESTINATION = 'platform';

/** The subscriber and creator a Stripe subscription is between (our user ids). */
export interface SubscriptionPair {
  subscriberId: string;
  creatorId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** The id of an expandable field (an id, or the expanded object). */
export function idOf(field: string | { id: string } | null | undefined): string | null {
  if (!field) return null;
  return typeof field === 'string' ? field : field.id;
}

function fromUnix(seconds: number | null | undefined): Date | null {
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

/** Legacy API versions (before 2025-03-31) kept the period on the subscription rather than on its items. */
type LegacyPeriod = { current_period_start?: number; current_period_end?: number };

export function subscriptionState(subscription: Stripe.Subscription): SubscriptionState {
  const item = subscription.items?.data?.[0];
  const legacy = subscription as unknown as LegacyPeriod;
  return {
    stripeSubscriptionId: subscription.id,
    status: subscription.status as SubscriptionStatus,
    priceCents: item?.price?.unit_amount ?? null,
    currency: item?.price?.currency ?? subscription.currency,
    currentPeriodStart: fromUnix(item?.current_period_start ?? legacy.current_period_start),
    currentPeriodEnd: fromUnix(item?.current_period_end ?? legacy.current_period_end),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    canceledAt: fromUnix(subscription.canceled_at),
    latestInvoiceId: idOf(subscription.latest_invoice),
    startedAt: fromUnix(subscription.start_date),
    endedAt: fromUnix(subscription.ended_at),
    payoutDestination: idOf(subscription.transfer_data?.destination) ?? PLATFORM_DESTINATION,
    tierId: isUuid(item?.price?.metadata?.tier_id) ? item.price.metadata.tier_id : null,
    productId: idOf(item?.price?.product),
    interval: item?.price?.recurring?.interval === 'year' ? 'year' : 'month',
    bundleMonths: bundleMonthsOf(item?.price),
    trialEnd: fromUnix(subscription.trial_end),
    offerCode: subscription.metadata?.offer_code || null,
  };
}

const BUNDLE_LENGTHS: readonly number[] = [3, 6, 12];

/** The bundle a price sells (its length in months), or null for a plain monthly or yearly price. */
export function bundleMonthsOf(price: Stripe.Price | null | undefined): number | null {
  const named = Number(price?.metadata?.bundle_months);
  if (BUNDLE_LENGTHS.includes(named)) return named;
  const recurring = price?.recurring;
  return recurring?.interval === 'month' && BUNDLE_LENGTHS.includes(recurring.interval_count) ? recurring.interval_count : null;
}

/** Our ids as checkout put them in `subscription_data.metadata`. */
export function pairFromMetadata(metadata: Stripe.Metadata | null | undefined): Partial<SubscriptionPair> {
  return { subscriberId: metadata?.subscriber_id, creatorId: metadata?.creator_id };
}

/** The subscription an invoice bills, in current (`parent.subscription_details`) and legacy (`subscription`) shapes. */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return idOf(invoice.parent?.subscription_details?.subscription) ?? idOf(legacy);
}
