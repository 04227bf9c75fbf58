import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { MediaRepository } from '../media.repository';

export const MEDIA_TYPES = ['image', 'video'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** `active` is the original design's word for `ready`; rows may still carry it. */
export const MEDIA_STATUSES = ['processing', 'ready', 'failed', 'active'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

@Entity({ tableName: 'media', repository: () => MediaRepository })
@Index({
  name: 'media_user_created_idx',
  expression: 'create index "media_user_created_idx" on "media" ("user_id", "created_at" desc)',
})
@Index({
  name: 'media_message_idx',
  expression: 'create index "media_message_idx" on "media" ("message_id") where "message_id" is not null',
})
@Index({
  name: 'media_unattached_idx',
  expression: 'create index "media_unattached_idx" on "media" ("created_at") where "post_id" is null',
})
export class Media {
  [EntityRepositoryType]?: MediaRepository;
  [OptionalProps]?: 'id' | 'status' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** The uploader. */
  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  /** Set when the media is attached to a post; a hard-deleted post leaves it unattached. */
  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'set null', index: 'media_post_idx' })
  post?: Ref<Post> | null;

  /** Set when the media is attached to a direct message (the messages module's; no foreign key: media sits below it). */
  @Property({ type: 'uuid', nullable: true })
  messageId?: string | null;

  @Enum({ items: [...MEDIA_TYPES], columnType: 'varchar(20)' })
  type: MediaType;

  @Enum({ items: [...MEDIA_STATUSES], columnType: 'varchar(20)', default: 'processing' })
  status: MediaStatus = 'processing';

  @Property({ type: 'string', length: 500 })
  url: string;

  @Property({ type: 'string', length: 255, unique: 'media_storage_key_unique' })
  storageKey: string;

  @Property({ type: 'string', length: 255, nullable: true })
  previewKey?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  mimeType?: string | null;

  @Property({ type: 'integer', nullable: true })
  width?: number | null;

  @Property({ type: 'integer', nullable: true })
  height?: number | null;

  /** Bytes. */
  @Property({ type: 'integer', nullable: true })
  size?: number | null;

  @Property({ type: 'string', length: 1500, nullable: true })
  altText?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  blurhash?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  failureReason?: string | null;

  /** Order among a post's attachments. */
  @Property({ type: 'smallint', nullable: true })
  position?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
