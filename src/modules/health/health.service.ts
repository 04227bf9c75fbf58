import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { RedisService } from '@/common/redis/redis.service';

type Check = 'up' | 'down';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class HealthService {
  constructor(
    private readonly em: EntityManager,
    private readonly redis: RedisService,
  ) {}

  async readiness(): Promise<{ status: 'ok' | 'unavailable'; checks: { postgres: Check; redis: Check } }> {
    const [postgres, redis] = await Promise.all([
      this.probe(() => this.em.getConnection().execute('select 1')),
      this.probe(() => this.redis.client.ping()),
    ]);
    return { status: postgres === 'up' && redis === 'up' ? 'ok' : 'unavailable', checks: { postgres, redis } };
  }

  private async probe(check: () => Promise<unknown>): Promise<Check> {
    try {
      await withTimeout(check(), 2000);
      return 'up';
    } catch {
      return 'down';
    }
  }
}
