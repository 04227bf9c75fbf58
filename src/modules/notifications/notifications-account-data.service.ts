import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';

const BATCH = 1000;

/** A deleted account's notifications, received and caused. */
@Injectable()
export class NotificationsAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'notifications', order: 0, eraseBatch: (userId) => this.eraseBatch(userId) });
  }

  async eraseBatch(userId: string): Promise<number> {
    const [row] = await this.em.fork().execute<{ n: number }[]>(
      `with received as (delete from notifications where id in (select id from notifications where user_id = ? limit ?) returning 1),
            sent as (delete from notifications where id in (select id from notifications where from_user_id = ? limit ?) returning 1)
       select (select count(*) from received)::int + (select count(*) from sent)::int as n`,
      [userId, BATCH, userId, BATCH],
    );
    return row.n;
  }
}
