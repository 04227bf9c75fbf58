import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';

export const TOKEN_PURPOSES = ['verify_email', 'change_email', 'reset_password'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

/**
 * A token sent by mail. Only a SHA-256 hash of its 256 random bits is stored; `used_at` makes it single-use, and a
 * newer token of the same purpose marks the older ones used.
 */
@Entity({ tableName: 'account_tokens' })
@Index({
  name: 'account_tokens_user_purpose_idx',
  expression: 'create index "account_tokens_user_purpose_idx" on "account_tokens" ("user_id", "purpose") where "used_at" is null',
})
export class AccountToken {
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Enum({ items: [...TOKEN_PURPOSES], columnType: 'varchar(20)' })
  purpose: TokenPurpose;

  @Property({ type: 'string', length: 64, unique: 'account_tokens_token_hash_unique' })
  tokenHash: string;

  /** The address this token proves (verification and change); null for a password reset. */
  @Property({ type: 'string', length: 255, nullable: true })
  email?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  expiresAt: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  usedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
