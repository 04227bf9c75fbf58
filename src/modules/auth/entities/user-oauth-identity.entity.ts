import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { UserOAuthIdentitiesRepository } from '../repositories/user-oauth-identities.repository';

/** A user's account at an OAuth provider (Google). The tokens are encrypted by the application. */
@Entity({ tableName: 'user_oauth_identities', repository: () => UserOAuthIdentitiesRepository })
@Unique({
  name: 'user_oauth_identities_provider_provider_user_id_unique',
  properties: ['provider', 'providerUserId'],
})
@Index({ name: 'user_oauth_identities_user_id_index', properties: ['user'] })
export class UserOAuthIdentity {
  [EntityRepositoryType]?: UserOAuthIdentitiesRepository;
  [OptionalProps]?: 'id' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Property({ type: 'string', length: 50 })
  provider: string;

  @Property({ type: 'string', length: 255 })
  providerUserId: string;

  /** The email the provider reported at the last sign-in. */
  @Property({ type: 'string', length: 255, nullable: true })
  email?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  accessToken?: string | null;

  @Property({ type: 'text', nullable: true, hidden: true })
  refreshToken?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
