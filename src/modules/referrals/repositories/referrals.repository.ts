import { EntityRepository } from '@mikro-orm/postgresql';
import { NEWEST_FIRST, olderThan } from '@/common/database/keyset';
import { Keyset } from '@/common/http/pagination';
import { Referral } from '../entities/referral.entity';

export class ReferralsRepository extends EntityRepository<Referral> {
  /** A keyset page over `referrals_referrer_created_idx`, with the referred users and codes joined in. */
  pageForReferrer(referrerId: string, cursor: Keyset | undefined, limit: number): Promise<Referral[]> {
    return this.find(
      { referrer: referrerId, ...olderThan(cursor) },
      { orderBy: NEWEST_FIRST, limit, populate: ['referredUser', 'referralCode'], strategy: 'joined' },
    );
  }
}
