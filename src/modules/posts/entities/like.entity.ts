import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { LikesRepository } from '../repositories/likes.repository';
import { Post } from './post.entity';

@Entity({ tableName: 'likes', repository: () => LikesRepository })
@Unique({ name: 'likes_user_id_post_id_unique', properties: ['user', 'post'] })
@Index({ name: 'idx_likes_user_id', properties: ['user'] })
@Index({ name: 'idx_likes_post_id', properties: ['post'] })
@Index({
  name: 'likes_post_created_idx',
  expression: 'create index "likes_post_created_idx" on "likes" ("post_id", "created_at" desc, "id" desc)',
})
export class Like {
  [EntityRepositoryType]?: LikesRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @ManyToOne(() => Post, { ref: true, deleteRule: 'cascade' })
  post: Ref<Post>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
