import { ApiProperty } from '@nestjs/swagger';

export class EarningsTotalsResponse {
  @ApiProperty({ description: 'What buyers paid, less what refunds and disputes took back (cents)' }) gross_cents: number;
  @ApiProperty({ description: "The platform's share of gross (cents)" }) fee_cents: number;
  @ApiProperty({ description: "The creator's share: gross_cents - fee_cents (cents)" }) net_cents: number;
  @ApiProperty({ description: 'What refunds gave back, already subtracted from gross and net (cents)' }) refunded_cents: number;
  @ApiProperty({
    description: 'Referral income: my share of the platform fee on the payments of creators I referred, less what refunds and lost disputes reversed (cents; not in gross, fee or net)',
  })
  referral_cents: number;
  @ApiProperty({ description: 'Tips: what buyers paid as tips, before the fee (cents; part of gross_cents; their refunds are in refunded_cents)' })
  tip_cents: number;
  @ApiProperty({ description: 'Gifts: what buyers paid for gifted subscriptions, before the fee (cents; part of gross_cents; their refunds are in refunded_cents)' })
  gift_cents: number;
  @ApiProperty({
    description: "Offers' discounts: what coupons took off paid subscription invoices, as Stripe reports it (total_discount_amounts; cents; not in gross_cents, which is what was paid)",
  })
  discount_cents: number;
}

export class EarningsMonthResponse {
  @ApiProperty({ example: '2026-11', description: 'UTC month, YYYY-MM' }) month: string;
  @ApiProperty() gross_cents: number;
  @ApiProperty() fee_cents: number;
  @ApiProperty() net_cents: number;
  @ApiProperty({ description: 'Subscriptions that started this month' }) new_subscribers: number;
  @ApiProperty({ description: 'Subscriptions that ended (were cancelled at Stripe) this month' }) churned_subscribers: number;
  @ApiProperty({ description: 'Pay-per-view posts bought this month' }) unlocks: number;
  @ApiProperty({ description: 'Referral income this month (cents; see lifetime.referral_cents)' }) referral_cents: number;
  @ApiProperty({ description: 'Tips paid this month (cents; see lifetime.tip_cents)' }) tip_cents: number;
  @ApiProperty({ description: 'Gifts paid this month (cents; see lifetime.gift_cents)' }) gift_cents: number;
  @ApiProperty({ description: "Offers' discounts on this month's paid subscription invoices (cents; see lifetime.discount_cents)" }) discount_cents: number;
}

export class EarningsResponse {
  @ApiProperty({ example: 'usd', description: "The creator's currency; every amount is in it" }) currency: string;
  @ApiProperty({ description: 'Subscriptions that give access now' }) active_subscribers: number;
  @ApiProperty({ description: 'Sum of the monthly prices of the subscriptions that give access now (gross, before the fee)' }) mrr_cents: number;
  @ApiProperty({ type: EarningsTotalsResponse }) lifetime: EarningsTotalsResponse;
  @ApiProperty({ type: [EarningsMonthResponse], minItems: 12, maxItems: 12, description: 'Exactly 12 months, the current UTC month last, zeros included' })
  months: EarningsMonthResponse[];
}
