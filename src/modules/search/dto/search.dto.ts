import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageQuery } from '@/common/http/pagination';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { PublicUserResponse } from '@/modules/users/dto/user.response';

export const SEARCH_TYPES = ['users', 'posts', 'hashtags'] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export class SearchQuery extends PageQuery {
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    description:
      'posts: words (all must match), "a phrase", -excluded, #tag, from:username; users: username prefix or display-name words; hashtags: name prefix',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q: string;

  @ApiProperty({ enum: SEARCH_TYPES })
  @IsIn(SEARCH_TYPES)
  type: SearchType;
}

/** `?limit=` only, with the route's own maximum. */
function LimitQuery(max: number, fallback: number) {
  class Limit {
    @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: max, default: fallback })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(max)
    limit: number = fallback;
  }
  return Limit;
}

export class TrendingQuery extends LimitQuery(20, 10) {}
export class SuggestionsQuery extends LimitQuery(40, 20) {}

export class HashtagResponse {
  @ApiProperty({ description: 'Lower-case, without the #' }) name: string;
  @ApiProperty({ description: 'Live public, non-premium posts with the tag: exact after the hourly rebuild, raised every 30 s in between' }) posts_count: number;
  @ApiProperty({ format: 'date-time' }) last_used_at: string;
}

export class TrendingTagResponse {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'Distinct authors of public posts with the tag in the last 24 hours' }) authors_count: number;
  @ApiProperty({ description: 'Those public posts' }) posts_count: number;
}

export class TrendingResponse {
  @ApiProperty({ type: [TrendingTagResponse] }) data: TrendingTagResponse[];
}

export class SuggestionsResponse {
  @ApiProperty({ type: [PublicUserResponse] }) data: PublicUserResponse[];
}

@ApiExtraModels(PostResponse, PublicUserResponse, HashtagResponse)
export class SearchPageResponse {
  @ApiProperty({
    description: 'posts, users or hashtags, as `type` asks',
    type: 'array',
    items: { oneOf: [{ $ref: getSchemaPath(PostResponse) }, { $ref: getSchemaPath(PublicUserResponse) }, { $ref: getSchemaPath(HashtagResponse) }] },
  })
  data: (PostResponse | PublicUserResponse | HashtagResponse)[];

  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}

export function toHashtagResponse(row: { name: string; posts_count: number; last_used_at: Date }): HashtagResponse {
  return { name: row.name, posts_count: row.posts_count, last_used_at: new Date(row.last_used_at).toISOString() };
}
