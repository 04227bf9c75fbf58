import { ApiProperty } from '@nestjs/swagger';
import { toUserSummary, UserSummaryResponse } from '@/modules/users/dto/user.response';
import { Subscription, SUBSCRIPTION_STATUSES } from '../entities/subscription.entity';
import { TIER_INTERVALS } from '../entities/tier.entity';

export class CheckoutResponse {
  @ApiProperty({ format: 'uri', description: 'Stripe Checkout page to send the buyer to' }) checkout_url: string;
  @ApiProperty() checkout_session_id: string;
}

export class SubscriptionTierResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

export class SubscriptionResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: UserSummaryResponse }) subscriber: UserSummaryResponse;
  @ApiProperty({ type: UserSummaryResponse }) creator: UserSummaryResponse;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES, description: "Stripe's status" }) status: string;
  @ApiProperty() price_cents: number;
  @ApiProperty({ example: 'usd' }) currency: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) current_period_start: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) current_period_end: string | null;
  @ApiProperty({ description: 'Ends at current_period_end; access lasts until then' }) cancel_at_period_end: boolean;
  @ApiProperty({ type: SubscriptionTierResponse, nullable: true, description: 'The tier Stripe confirmed (docs/billing.md#tiers)' })
  tier: SubscriptionTierResponse | null;
  @ApiProperty({ enum: TIER_INTERVALS }) interval: string;
  @ApiProperty({ nullable: true, type: Number, description: 'A bundle\'s length in months (docs/billing.md#bundles); null for a monthly or yearly subscription' }) bundle_months: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The offer the subscription was bought with (docs/billing.md#offers)' }) offer_code: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) trial_end: string | null;
  @ApiProperty({ description: 'False until gifts exist' }) gift: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class SubscriptionPageResponse {
  @ApiProperty({ type: [SubscriptionResponse] }) data: SubscriptionResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

/** `subscriber` and `creator` must be loaded; `tierNames`: the names of the rows' tiers. */
export function toSubscriptionResponse(s: Subscription, tierNames: ReadonlyMap<string, string>): SubscriptionResponse {
  return {
    id: s.id,
    subscriber: toUserSummary(s.subscriber.getEntity()),
    creator: toUserSummary(s.creator.getEntity()),
    status: s.status,
    price_cents: s.priceCents,
    currency: s.currency,
    current_period_start: s.currentPeriodStart?.toISOString() ?? null,
    current_period_end: s.currentPeriodEnd?.toISOString() ?? null,
    cancel_at_period_end: s.cancelAtPeriodEnd,
    tier: s.tierId ? { id: s.tierId, name: tierNames.get(s.tierId) ?? '' } : null,
    interval: s.interval,
    bundle_months: s.bundleMonths ?? null,
    offer_code: s.offerCode ?? null,
    trial_end: s.trialEnd?.toISOString() ?? null,
    gift: false,
    created_at: s.createdAt.toISOString(),
  };
}
