import { EntityRepository } from '@mikro-orm/postgresql';
import { UserOAuthIdentity } from '../entities/user-oauth-identity.entity';

export class UserOAuthIdentitiesRepository extends EntityRepository<UserOAuthIdentity> {
  findByProviderUserId(provider: string, providerUserId: string): Promise<UserOAuthIdentity | null> {
    return this.findOne({ provider, providerUserId });
  }
}
