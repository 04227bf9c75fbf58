import { EntityRepository } from '@mikro-orm/postgresql';
import { IdempotencyKey } from './idempotency-key.entity';

export class IdempotencyKeysRepository extends EntityRepository<IdempotencyKey> {
  findByUserAndKey(userId: string, key: string): Promise<IdempotencyKey | null> {
    return this.findOne({ user: userId, key });
  }
}
