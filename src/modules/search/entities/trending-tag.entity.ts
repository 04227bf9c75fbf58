import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** One row of the current trending list, rewritten as a whole by the discovery job. Read by `GET /tags/trending`. */
@Entity({ tableName: 'trending_tags' })
export class TrendingTag {
  @PrimaryKey({ type: 'uuid' })
  hashtagId: string;

  @Property({ type: 'string', length: 100 })
  name: string;

  /** Distinct authors of public posts with the tag in the 24 hours before `computedAt`. */
  @Property({ type: 'integer' })
  authorsCount: number;

  @Property({ type: 'integer' })
  postsCount: number;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  computedAt: Date;
}
