import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { BUNDLE_MONTHS } from '../entities/creator-bundle.entity';
import { Tier, TIER_INTERVALS, TierInterval } from '../entities/tier.entity';

/** `POST /me/tiers` (docs/billing.md#tiers). */
export class CreateTierDto {
  @ApiProperty({ minLength: 1, maxLength: 60 })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;

  @ApiPropertyOptional({ maxLength: 500, nullable: true, type: String })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: 10, description: 'Each at most 100 characters' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  benefits?: string[];

  @ApiProperty({ type: 'integer', minimum: 100, maximum: 100000 })
  @IsInt()
  @Min(100)
  @Max(100000)
  monthly_price_cents: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 100, nullable: true, description: 'At most 12 × monthly_price_cents; null: no yearly price' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(1200000)
  yearly_price_cents?: number | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 30, description: 'Days of free trial a new subscription starts with' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(30)
  trial_days?: number;
}

/**
 * `PATCH /me/tiers/:id`: any field of a tier, with `CreateTierDto`'s rules (swagger's `PartialType` carries its
 * validation and makes each field optional); a new price applies to new subscriptions only.
 */
export class UpdateTierDto extends PartialType(CreateTierDto) {}

/** `POST /users/:username/subscription` (a body is optional: no body is the first tier, monthly). */
export class SubscribeDto {
  @ApiPropertyOptional({ format: 'uuid', description: "One of the creator's tiers; default the first" })
  @IsOptional()
  @IsUUID()
  tier_id?: string;

  @ApiPropertyOptional({ enum: TIER_INTERVALS, default: 'month' })
  @IsOptional()
  @IsIn(TIER_INTERVALS)
  interval?: TierInterval;

  @ApiPropertyOptional({
    enum: BUNDLE_MONTHS,
    description: "One of the creator's bundles (docs/billing.md#bundles): that many months of the tier paid at once, renewing at that length; not with `interval: year`",
  })
  @IsOptional()
  @IsIn(BUNDLE_MONTHS)
  bundle_months?: number;

  @ApiPropertyOptional({ maxLength: 32, description: "One of the creator's offers (docs/billing.md#offers); `422` field `offer_code` when it cannot be used" })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  offer_code?: string;
}

/** `PATCH /users/:username/subscription`: move the running subscription to another tier (or interval). */
export class ChangeTierDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  tier_id: string;

  @ApiPropertyOptional({ enum: TIER_INTERVALS, description: 'Default: the current interval' })
  @IsOptional()
  @IsIn(TIER_INTERVALS)
  interval?: TierInterval;
}

export class TierResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: [String] }) benefits: string[];
  @ApiProperty() monthly_price_cents: number;
  @ApiProperty({ nullable: true, type: Number }) yearly_price_cents: number | null;
  @ApiProperty({ example: 'usd' }) currency: string;
  @ApiProperty() trial_days: number;
  @ApiProperty({ description: 'Rank: a higher position includes every lower one' }) position: number;
  @ApiProperty() archived: boolean;
  @ApiPropertyOptional({ description: 'Subscribers with access now; only in the own view' }) subscribers_count?: number;
}

export class BundleResponse {
  @ApiProperty({ enum: [3, 6, 12] }) months: number;
  @ApiProperty() discount_percent: number;
}

export class TierListResponse {
  @ApiProperty({ type: [TierResponse] }) data: TierResponse[];
  @ApiProperty({ type: [BundleResponse], description: "The creator's bundles by months (docs/billing.md#bundles): each applies to every tier" }) bundles: BundleResponse[];
}

export function toTierResponse(t: Tier, subscribersCount?: number): TierResponse {
  return {
    id: t.id,
    name: t.name,
    description: t.description ?? null,
    benefits: t.benefits,
    monthly_price_cents: t.monthlyPriceCents,
    yearly_price_cents: t.yearlyPriceCents ?? null,
    currency: t.currency,
    trial_days: t.trialDays,
    position: t.position,
    archived: t.archived,
    ...(subscribersCount === undefined ? {} : { subscribers_count: subscribersCount }),
  };
}
