import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsObject, Max, Min, ValidateNested } from 'class-validator';
import { BUNDLE_MONTHS, CreatorBundle } from '../entities/creator-bundle.entity';
import { BundleResponse } from './tier.dto';

/** One bundle of `PUT /me/bundles` (docs/billing.md#bundles). */
export class BundleDto {
  @ApiProperty({ enum: BUNDLE_MONTHS, description: 'Months paid at once (and the length of each renewal)' })
  @IsIn(BUNDLE_MONTHS)
  months: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 50, description: 'Percent off `months` × the monthly price' })
  @IsInt()
  @Min(1)
  @Max(50)
  discount_percent: number;
}

/** `PUT /me/bundles`: the creator's whole set of bundles (replaces it; `[]` removes them). */
export class PutBundlesDto {
  @ApiProperty({ type: [BundleDto], maxItems: 3, description: 'At most one bundle per length (two of one length: `422`)' })
  @IsArray()
  @ArrayMaxSize(3)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => BundleDto)
  bundles: BundleDto[];
}

export class BundleSetResponse {
  @ApiProperty({ type: [BundleResponse], description: 'By months' }) bundles: BundleResponse[];
}

export function toBundleResponse(b: CreatorBundle): BundleResponse {
  return { months: b.months, discount_percent: b.discountPercent };
}
