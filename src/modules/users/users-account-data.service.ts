import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';
import { toOwnUserResponse } from './dto/user.response';
import { User } from './entities/user.entity';

/** The profile in an export. (Deactivation already emptied a deleted account's row: see UserLifecycleService.) */
@Injectable()
export class UsersAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'users',
      order: 90,
      export: (userId, sink) => sink.json('profile.json', this.profile(userId)),
    });
  }

  private async *profile(userId: string): AsyncIterable<object> {
    const user = await this.em.fork().findOneOrFail(User, { id: userId });
    yield { ...toOwnUserResponse(user), suspended: !!user.suspendedAt };
  }
}
