import { ApiProperty } from '@nestjs/swagger';
import { toUserSummary, UserSummaryResponse } from '@/modules/users/dto/user.response';
import { Subscription, SUBSCRIPTION_STATUSES } from '../entities/subscription.entity';

export class CheckoutResponse {
  @ApiProperty({ format: 'uri', description: 'Stripe Checkout page to send the buyer to' }) checkout_url: string;
  @ApiProperty() checkout_session_id: string;
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
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class SubscriptionPageResponse {
  @ApiProperty({ type: [SubscriptionResponse] }) data: SubscriptionResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

/** `subscriber` and `creator` must be loaded. */
export function toSubscriptionResponse(s: Subscription): SubscriptionResponse {
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
    created_at: s.createdAt.toISOString(),
  };
}
