import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';

/** The first answer to a request sent with an `Idempotency-Key`, replayed to repeats until `expiresAt`. */
@Entity({ tableName: 'idempotency_keys', repository: () => IdempotencyKeysRepository })
@Unique({ name: 'idempotency_keys_user_id_key_unique', properties: ['user', 'key'] })
@Index({ name: 'idempotency_keys_expires_at_index', properties: ['expiresAt'] })
export class IdempotencyKey {
  [EntityRepositoryType]?: IdempotencyKeysRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  /** The `Idempotency-Key` header as sent. */
  @Property({ type: 'string', length: 255 })
  key: string;

  @Property({ type: 'string', length: 10, nullable: true })
  method?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  path?: string | null;

  /** Hash of the request body: the same key with another body is a conflict, not a replay. */
  @Property({ type: 'string', length: 64 })
  requestHash: string;

  /** Null while the first request is still running. */
  @Property({ type: 'integer', nullable: true })
  responseStatus?: number | null;

  @Property({ type: 'json', nullable: true })
  responseBody?: unknown;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;
}
