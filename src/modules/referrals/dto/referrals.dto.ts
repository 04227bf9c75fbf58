import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDate, IsInt, IsOptional, Matches, Max, MaxDate, Min } from 'class-validator';
import { ToDateFromIso } from '@/common/http/iso-date-time';
import { UserSummaryResponse } from '@/modules/users/dto/user.response';

export const REFERRAL_CODE_PATTERN = /^[A-Za-z0-9_-]{4,32}$/;

export class CreateReferralCodeDto {
  @ApiPropertyOptional({ minLength: 4, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$', description: 'Generated when absent' })
  @IsOptional()
  @Matches(REFERRAL_CODE_PATTERN, { message: 'code must be 4-32 letters, digits, _ or -' })
  code?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000000, nullable: true, description: 'null or absent: unlimited' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_uses?: number | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'In the future; null or absent: never expires' })
  @IsOptional()
  @ToDateFromIso()
  @IsDate({ message: 'expires_at must be an ISO 8601 date-time' })
  // JavaScript dates reach the year 275760; PostgreSQL refuses what it cannot parse (a 500 instead of a 400).
  @MaxDate(new Date('9999-12-31T23:59:59.999Z'), { message: 'expires_at must be before the year 10000' })
  expires_at?: Date | null;
}

export class ReferralCodeResponse {
  @ApiProperty() code: string;
  @ApiProperty() uses_count: number;
  @ApiProperty({ nullable: true, type: Number }) max_uses: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expires_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class ReferralCodeListResponse {
  @ApiProperty({ type: [ReferralCodeResponse] }) data: ReferralCodeResponse[];
}

export class ReferralCodeCheckResponse {
  @ApiProperty() code: string;
  @ApiProperty() valid: boolean;
  @ApiPropertyOptional({ enum: ['expired', 'exhausted', 'not_found'] }) reason?: 'expired' | 'exhausted' | 'not_found';
}

export class ReferralResponse {
  @ApiProperty({ type: UserSummaryResponse }) user: UserSummaryResponse;
  @ApiProperty() code: string;
  @ApiProperty({
    type: 'integer',
    description: "What I earned from this user's payments as a creator (my referral shares, less what refunds and lost disputes reversed), in cents of the payments' currency",
  })
  earned_cents: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class ReferralPageResponse {
  @ApiProperty({ type: [ReferralResponse] }) data: ReferralResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
