import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDate, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxDate, MaxLength, Min, MinLength } from 'class-validator';
import { ToDateFromIso } from '@/common/http/iso-date-time';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { Offer, OFFER_AUDIENCES, OFFER_DURATIONS, OFFER_KINDS, OfferAudience, OfferDuration, OfferKind } from '../entities/offer.entity';

export const OFFER_CODE_PATTERN = /^[A-Za-z0-9_-]{4,32}$/;

/** `POST /me/offers` (docs/billing.md#offers). Fields a kind needs are checked by the service (`422` on that field). */
export class CreateOfferDto {
  @ApiProperty({ minLength: 4, maxLength: 32, pattern: '^[A-Za-z0-9_-]{4,32}$', description: 'Unique per creator (deleted offers keep theirs)' })
  @IsString()
  @MinLength(4)
  @MaxLength(32)
  @Matches(OFFER_CODE_PATTERN)
  code: string;

  @ApiProperty({ enum: OFFER_KINDS })
  @IsIn(OFFER_KINDS)
  kind: OfferKind;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, description: 'Required for `percent`' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  percent_off?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: "Required for `fixed`, in the creator's currency; less than the cheapest applicable tier's monthly price" })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100000)
  amount_off_cents?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 30, description: 'Required for `free_trial`' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(30)
  trial_days?: number;

  @ApiProperty({ enum: OFFER_DURATIONS, description: 'How long a discount lasts (a free trial: `once`)' })
  @IsIn(OFFER_DURATIONS)
  duration: OfferDuration;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 36, description: 'Required for `repeating`, refused otherwise' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(36)
  duration_months?: number;

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 5, description: 'Default: every tier; each one of yours and not archived' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsUUID('all', { each: true })
  tier_ids?: string[];

  @ApiProperty({ enum: OFFER_AUDIENCES, description: '`new`: never subscribed to you; `returning`: a subscription to you ended; `everyone`' })
  @IsIn(OFFER_AUDIENCES)
  audience: OfferAudience;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_redemptions?: number;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'In the future' })
  @IsOptional()
  @ToDateFromIso()
  @IsDate({ message: 'expires_at must be an ISO 8601 date-time' })
  // PostgreSQL refuses what it cannot store (a 500 instead of a 400), as for referral codes.
  @MaxDate(new Date('9999-12-31T23:59:59.999Z'), { message: 'expires_at must be before the year 10000' })
  expires_at?: Date;
}

export class OfferCodeParam extends UsernameParam {
  @ApiProperty()
  @IsString()
  @MaxLength(32)
  code: string;
}

export class OwnOfferCodeParam {
  @ApiProperty()
  @IsString()
  @MaxLength(32)
  code: string;
}

export class OfferResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty({ enum: OFFER_KINDS }) kind: string;
  @ApiProperty({ nullable: true, type: Number }) percent_off: number | null;
  @ApiProperty({ nullable: true, type: Number }) amount_off_cents: number | null;
  @ApiProperty({ example: 'usd' }) currency: string;
  @ApiProperty({ nullable: true, type: Number }) trial_days: number | null;
  @ApiProperty({ enum: OFFER_DURATIONS }) duration: string;
  @ApiProperty({ nullable: true, type: Number }) duration_months: number | null;
  @ApiProperty({ nullable: true, type: [String], description: 'Null: every tier' }) tier_ids: string[] | null;
  @ApiProperty({ enum: OFFER_AUDIENCES }) audience: string;
  @ApiProperty({ nullable: true, type: Number }) max_redemptions: number | null;
  @ApiProperty({ description: 'Redemptions held: completed subscriptions and checkouts still open' }) redemptions_count: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expires_at: string | null;
  @ApiProperty({ description: 'Takes new redemptions now: not deleted, not expired, not exhausted' }) active: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class OfferListResponse {
  @ApiProperty({ type: [OfferResponse], description: 'Your offers not deleted, newest first (at most 100)' }) data: OfferResponse[];
}

export const OFFER_REASONS = ['not_found', 'expired', 'exhausted', 'not_eligible'] as const;
export type OfferReason = (typeof OFFER_REASONS)[number];

export class OfferLookupResponse {
  @ApiProperty() code: string;
  @ApiProperty() valid: boolean;
  @ApiPropertyOptional({ enum: OFFER_REASONS, description: 'Why it is not valid; `not_found` leaves every other field null' }) reason?: OfferReason;
  @ApiProperty({ enum: OFFER_KINDS, nullable: true, type: String }) kind: string | null;
  @ApiProperty({ nullable: true, type: Number }) percent_off: number | null;
  @ApiProperty({ nullable: true, type: Number }) amount_off_cents: number | null;
  @ApiProperty({ nullable: true, type: Number }) trial_days: number | null;
  @ApiProperty({ enum: OFFER_DURATIONS, nullable: true, type: String }) duration: string | null;
  @ApiProperty({ nullable: true, type: Number }) duration_months: number | null;
  @ApiProperty({ nullable: true, type: [String], description: 'Null: every tier' }) tier_ids: string[] | null;
}

/** Whether the offer takes new redemptions now. */
export function offerLive(o: Offer, now = new Date()): boolean {
  return o.active && !(o.expiresAt && o.expiresAt <= now) && !(o.maxRedemptions != null && o.redemptionsCount >= o.maxRedemptions);
}

export function toOfferResponse(o: Offer): OfferResponse {
  return {
    id: o.id,
    code: o.code,
    kind: o.kind,
    percent_off: o.percentOff ?? null,
    amount_off_cents: o.amountOffCents ?? null,
    currency: o.currency,
    trial_days: o.trialDays ?? null,
    duration: o.duration,
    duration_months: o.durationMonths ?? null,
    tier_ids: o.tierIds ?? null,
    audience: o.audience,
    max_redemptions: o.maxRedemptions ?? null,
    redemptions_count: o.redemptionsCount,
    expires_at: o.expiresAt?.toISOString() ?? null,
    active: offerLive(o),
    created_at: o.createdAt.toISOString(),
  };
}

export function toOfferLookup(code: string, o: Offer | null, reason?: OfferReason): OfferLookupResponse {
  return {
    code: o?.code ?? code,
    valid: !reason,
    ...(reason ? { reason } : {}),
    kind: o?.kind ?? null,
    percent_off: o?.percentOff ?? null,
    amount_off_cents: o?.amountOffCents ?? null,
    trial_days: o?.trialDays ?? null,
    duration: o?.duration ?? null,
    duration_months: o?.durationMonths ?? null,
    tier_ids: o?.tierIds ?? null,
  };
}
