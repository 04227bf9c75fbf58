import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { IdParam } from '@/common/http/id.param';
import { LockedMediaResponse, MediaResponse, PostMediaResponse } from '@/modules/media/dto/media.response';
import { UserSummaryResponse } from '@/modules/users/dto/user.response';
import { VISIBILITIES, Visibility } from '../entities/post.entity';

export class CreatePostDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 5000, description: 'Required unless media_ids are given' })
  @ValidateIf((dto: CreatePostDto) => !dto.media_ids?.length || dto.content !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  content?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  reply_to_id?: string;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'public' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: Visibility;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  is_premium?: boolean;

  @ApiPropertyOptional({ minimum: 100, maximum: 100000, description: 'Pay-per-view price; makes the post premium' })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(100000)
  price_cents?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "One of your non-archived tiers: makes the post premium, open to subscribers of that tier or a higher one (and to buyers when it also has a price)",
  })
  @IsOptional()
  @IsUUID()
  min_tier_id?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 4 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsUUID('all', { each: true })
  media_ids?: string[];

  @ApiPropertyOptional({ maxLength: 280, description: 'Teaser shown to viewers the post is locked for' })
  @IsOptional()
  @IsString()
  @MaxLength(280)
  preview?: string;
}

export class UpdatePostDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 5000, description: 'Required unless min_tier_id is given' })
  @ValidateIf((dto: UpdatePostDto) => dto.min_tier_id === undefined || dto.content !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  content?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'One of your non-archived tiers (makes the post premium); null: any subscriber again',
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsUUID()
  min_tier_id?: string | null;
}

export class PostIdParam extends IdParam {}

@ApiExtraModels(MediaResponse, LockedMediaResponse)
export class PostResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: UserSummaryResponse }) author: UserSummaryResponse;
  @ApiProperty({ nullable: true, type: String, description: 'null when locked' }) content: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Rendered on the server; null when locked' }) content_html: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) reply_to_id: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) root_post_id: string | null;
  @ApiProperty({ nullable: true, type: () => PostResponse, description: 'The reposted post, for a repost' }) repost_of: PostResponse | null;
  @ApiProperty({
    type: 'array',
    items: { anyOf: [{ $ref: getSchemaPath(MediaResponse) }, { $ref: getSchemaPath(LockedMediaResponse) }] },
    description: 'On a locked post, each item is only `{ id, type }`',
  })
  media: PostMediaResponse[];
  @ApiProperty() likes_count: number;
  @ApiProperty({ description: 'Direct replies only' }) replies_count: number;
  @ApiProperty() reposts_count: number;
  @ApiProperty({ enum: VISIBILITIES }) visibility: Visibility;
  @ApiProperty() is_premium: boolean;
  @ApiProperty({ nullable: true, type: Number }) price_cents: number | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: "The lowest of the author's tiers that opens it; null: any subscriber" })
  min_tier_id: string | null;
  @ApiProperty() currency: string;
  @ApiProperty() locked: boolean;
  @ApiProperty({ nullable: true, type: String }) preview: string | null;
  @ApiProperty() liked: boolean;
  @ApiProperty() reposted: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) edited_at: string | null;
}

export class PostPageResponse {
  @ApiProperty({ type: [PostResponse] }) data: PostResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export class ThreadResponse {
  @ApiProperty({ type: [PostResponse] }) ancestors: PostResponse[];
  @ApiProperty({ type: PostResponse }) post: PostResponse;
  @ApiProperty({ type: [PostResponse] }) descendants: PostResponse[];
}
