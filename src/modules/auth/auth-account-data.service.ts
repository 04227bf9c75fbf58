import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';

const BATCH = 1000;

/** A deleted account's sessions (already revoked at deactivation) and Google identities (with their encrypted tokens). */
@Injectable()
export class AuthAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'auth', order: 50, eraseBatch: (userId) => this.eraseBatch(userId) });
  }

  async eraseBatch(userId: string): Promise<number> {
    const em = this.em.fork();
    await em.execute('delete from user_oauth_identities where user_id = ?', [userId]);
    const [row] = await em.execute<{ n: number }[]>(
      `with s as (delete from sessions where id in (select id from sessions where user_id = ? limit ?) returning 1) select count(*)::int as n from s`,
      [userId, BATCH],
    );
    return row.n;
  }
}
