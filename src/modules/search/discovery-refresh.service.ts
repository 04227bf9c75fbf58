import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { DiscoveryRepository } from './repositories/discovery.repository';

/** The discovery job's work: small tables rewritten in one transaction (readers see old or new, never half). */
@Injectable()
export class DiscoveryRefreshService {
  constructor(
    private readonly em: EntityManager,
    private readonly discovery: DiscoveryRepository,
  ) {}

  async refresh(options: { withStats: boolean }): Promise<{ trending: number }> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      // Two refreshes at once (a slow one overrunning its slot) would insert the same keys: one at a time.
      await em.execute(`select pg_advisory_xact_lock(hashtext('x18:discovery-refresh'))`);
      // Aggregates over many rows in short statements: JIT compilation would cost more than it saves.
      await em.execute('set local jit = off');
      const trending = await this.discovery.refreshTrending(em);
      if (options.withStats) await this.discovery.refreshHashtagStats(em);
      else await this.discovery.touchRecentHashtags(em);
      return { trending };
    });
  }
}
