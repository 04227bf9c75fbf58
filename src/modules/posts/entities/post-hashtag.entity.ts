import { Entity, EntityRepositoryType, Index, ManyToOne, PrimaryKeyProp, Property, Ref } from '@mikro-orm/core';
import { PostHashtagsRepository } from '../repositories/post-hashtags.repository';
import { Hashtag } from './hashtag.entity';
import { Post } from './post.entity';

/** A post tagged with a hashtag. `createdAt` copies the post's, so a tag's posts page by (created_at, post_id). */
@Entity({ tableName: 'post_hashtags', repository: () => PostHashtagsRepository })
@Index({
  name: 'post_hashtags_tag_created_idx',
  expression:
    'create index "post_hashtags_tag_created_idx" on "post_hashtags" ("hashtag_id", "created_at" desc, "post_id" desc)',
})
/** The trending job's 24-hour window (search module). */
@Index({ name: 'post_hashtags_created_idx', properties: ['createdAt'] })
export class PostHashtag {
  [EntityRepositoryType]?: PostHashtagsRepository;
  [PrimaryKeyProp]?: ['hashtag', 'post'];

  @ManyToOne(() => Hashtag, { ref: true, primary: true, deleteRule: 'cascade' })
  hashtag: Ref<Hashtag>;

  @ManyToOne(() => Post, { ref: true, primary: true, deleteRule: 'cascade', index: 'post_hashtags_post_id_index' })
  post: Ref<Post>;

  /** The post's `createdAt`, set by whoever tags the post. */
  @Property({ type: 'datetime', columnType: 'timestamptz' })
  createdAt: Date;
}
