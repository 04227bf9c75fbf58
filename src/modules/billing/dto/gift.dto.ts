import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { SubscriptionTierResponse } from './billing.dto';
import { GIFT_MONTHS } from '../entities/gift.entity';

/** `POST /users/:username/gifts` (docs/billing.md#gifts): exactly one of `recipient_username` and `recipient_email`. */
export class GiftDto {
  @ApiProperty({ enum: GIFT_MONTHS, description: 'Months of access the gift gives' })
  @IsInt()
  @IsIn([...GIFT_MONTHS])
  months: number;

  @ApiPropertyOptional({ format: 'uuid', description: "The creator's tier (default: their first tier)" })
  @IsOptional()
  @IsUUID()
  tier_id?: string;

  @ApiPropertyOptional({ description: 'The account the gift is for (or `recipient_email`)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(30)
  @Matches(/^[A-Za-z0-9_]+$/)
  recipient_username?: string;

  @ApiPropertyOptional({ format: 'email', description: 'An e-mail address the gift is for (or `recipient_username`): its account, else a mail with a redeem link' })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  recipient_email?: string;

  @ApiPropertyOptional({ maxLength: 500, description: "A note for the recipient (shown to an account's recipient with the gift)" })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  message?: string;
}

/** `POST /gifts/redeem`. */
export class RedeemGiftDto {
  @ApiProperty({ description: 'The token of the redeem link (`APP_URL/gifts/redeem?token=`)' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  token: string;
}

export class GiftCreatorResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
}

/** A gift as its recipient sees it. */
export class GiftResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: GiftCreatorResponse }) creator: GiftCreatorResponse;
  @ApiProperty({ type: SubscriptionTierResponse }) tier: SubscriptionTierResponse;
  @ApiProperty({ enum: GIFT_MONTHS }) months: number;
  @ApiProperty({ type: String, nullable: true }) message: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) starts_at: string;
  @ApiProperty({ type: String, format: 'date-time', description: 'Access ends at this instant; nothing renews' }) ends_at: string;
}
