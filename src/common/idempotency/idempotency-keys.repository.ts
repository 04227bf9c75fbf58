import { EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { IdempotencyKey } from './idempotency-key.entity';

export interface StoredKey {
  request_hash: string;
  response_status: number | null;
  response_body: unknown;
}

export class IdempotencyKeysRepository extends EntityRepository<IdempotencyKey> {
  findByUserAndKey(userId: string, key: string): Promise<IdempotencyKey | null> {
    return this.findOne({ user: userId, key });
  }

  /**
   * Claims the key for this request, or answers the existing claim. An expired claim is taken over.
   * One statement, so two racing requests cannot both win.
   */
  async claim(userId: string, key: string, method: string, path: string, requestHash: string, ttlSeconds: number): Promise<StoredKey | undefined> {
    const em = this.getEntityManager();
    const claimed = await em.execute<{ id: string }[]>(
      `insert into idempotency_keys (id, user_id, key, method, path, request_hash, created_at, expires_at)
       values (?, ?, ?, ?, ?, ?, now(), now() + make_interval(secs => ?))
       on conflict (user_id, key) do update
         set request_hash = excluded.request_hash, method = excluded.method, path = excluded.path,
             response_status = null, response_body = null, created_at = now(), expires_at = excluded.expires_at
         where idempotency_keys.expires_at <= now()
       returning id`,
      [v7(), userId, key, method, path.slice(0, 500), requestHash, ttlSeconds],
    );
    if (claimed.length) return undefined;
    const [existing] = await em.execute<StoredKey[]>(
      'select request_hash, response_status, response_body from idempotency_keys where user_id = ? and key = ?',
      [userId, key],
    );
    return existing;
  }

  async complete(userId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.getEntityManager().execute(
      'update idempotency_keys set response_status = ?, response_body = ?::jsonb where user_id = ? and key = ?',
      [status, JSON.stringify(body ?? null), userId, key],
    );
  }

  async release(userId: string, key: string): Promise<void> {
    await this.getEntityManager().execute('delete from idempotency_keys where user_id = ? and key = ? and response_status is null', [userId, key]);
  }
}
