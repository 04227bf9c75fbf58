import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';

const BATCH = 1000;

/** A deleted account's referral codes (their referrals go with them) and the referral that brought it in. */
@Injectable()
export class ReferralsAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'referrals', order: 40, eraseBatch: (userId) => this.eraseBatch(userId) });
  }

  async eraseBatch(userId: string): Promise<number> {
    const [row] = await this.em.fork().execute<{ n: number }[]>(
      `with r as (delete from referrals where id in (select id from referrals where referrer_id = ? or referred_user_id = ? limit ?) returning 1),
            c as (delete from referral_codes where id in (select id from referral_codes where user_id = ? limit ?) returning 1)
       select (select count(*) from r)::int + (select count(*) from c)::int as n`,
      [userId, userId, BATCH, userId, BATCH],
    );
    return row.n;
  }
}
