import { ApiProperty } from '@nestjs/swagger';
import { VISIBILITIES } from '../entities/post.entity';
import type { Post } from '../entities/post.entity';

/** A reported post as moderators see it: its content whatever its visibility, and whether it is still up. */
export class PostModerationSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() content: string;
  @ApiProperty({ enum: VISIBILITIES }) visibility: string;
  @ApiProperty() is_premium: boolean;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Deleted by its author' }) deleted_at: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Removed by a moderator' }) removed_at: string | null;
}

export function toPostModerationSummary(post: Post): PostModerationSummary {
  return {
    id: post.id,
    content: post.content,
    visibility: post.visibility,
    is_premium: post.isPremium,
    created_at: post.createdAt.toISOString(),
    deleted_at: post.deletedAt?.toISOString() ?? null,
    removed_at: post.removedAt?.toISOString() ?? null,
  };
}
