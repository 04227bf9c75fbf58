import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A hashtag's public uses, rewritten by the discovery job (`DiscoveryRefreshService`): only hashtags with at least one
 * live public, non-premium post have a row, so hashtag search never reveals a tag used only where the viewer may not
 * look. Read by `GET /search?type=hashtags`.
 */
@Entity({ tableName: 'hashtag_stats' })
@Index({
  name: 'hashtag_stats_name_idx',
  expression: 'create index "hashtag_stats_name_idx" on "hashtag_stats" ("name" varchar_pattern_ops)',
})
export class HashtagStat {
  @PrimaryKey({ type: 'uuid' })
  hashtagId: string;

  @Property({ type: 'string', length: 100 })
  name: string;

  @Property({ type: 'integer' })
  postsCount: number;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  lastUsedAt: Date;
}
