import { ArrayType, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { SessionsRepository } from '../repositories/sessions.repository';

/** A signed-in device. `token` holds a hash of the current refresh token, never the token. */
@Entity({ tableName: 'sessions', repository: () => SessionsRepository })
@Index({
  name: 'sessions_user_created_idx',
  expression: 'create index "sessions_user_created_idx" on "sessions" ("user_id", "created_at" desc)',
})
export class Session {
  [EntityRepositoryType]?: SessionsRepository;
  [OptionalProps]?: 'id' | 'rotatedTokenHashes' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Property({ type: 'string', length: 500, unique: 'sessions_token_unique' })
  token: string;

  /** Hashes of this session's recent, already rotated refresh secrets: presenting one is reuse (a stolen token). */
  @Property({ type: ArrayType, defaultRaw: "'{}'" })
  rotatedTokenHashes: string[] = [];

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'string', length: 500, nullable: true })
  userAgent?: string | null;

  @Property({ type: 'string', length: 64, nullable: true })
  ip?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'string', length: 50, nullable: true })
  revokedReason?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
