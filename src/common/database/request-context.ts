import { AsyncLocalStorage } from 'node:async_hooks';
import { RequestContext, TransactionContext } from '@mikro-orm/core';
import type { AnyEntity, EntityData, EntityManager as CoreEntityManager } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The request's entity manager fork, made when something first asks for it (an entity read, a flush, a
 * transaction), not for every request: reads that go through `readSql` never ask, so a request that only reads
 * (timelines, a post, search) costs no fork and no identity map. Duck-types the `Map` MikroORM keeps per context.
 */
class LazyForks {
  private fork?: CoreEntityManager;
  private forking = false;

  constructor(private readonly root: CoreEntityManager) {}

  get(name: string): CoreEntityManager | undefined {
    if (name !== this.root.name) return undefined;
    // While the fork is being built it asks for the context itself: as outside any context, it is its own then.
    if (this.forking) return undefined;
    if (!this.fork) {
      this.forking = true;
      try {
        this.fork = this.root.fork({ useContext: true, disableContextResolution: true });
      } finally {
        this.forking = false;
      }
    }
    return this.fork;
  }
}

/** MikroORM's own context store (private in its typings): the one `RequestContext.getEntityManager` reads. */
const storage = (RequestContext as unknown as { storage: AsyncLocalStorage<RequestContext> }).storage;

/** Runs `next` (the rest of the request) in a request context whose fork is made on first use. */
export function runInRequestContext(root: CoreEntityManager, next: () => void): void {
  storage.run(new RequestContext(new LazyForks(root) as unknown as Map<string, CoreEntityManager>), next);
}

/**
 * A read-only raw query. Inside a transaction (the caller's fork, or a `transactional` callback) it runs there, as
 * `em.execute` would; otherwise straight on the pool, without resolving (and so creating) the request's fork.
 */
export function readSql<T extends EntityData<AnyEntity>[]>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T> {
  if (!em.global || TransactionContext.getEntityManager(em.name)) return em.execute<T>(sql, [...params]);
  return em.getConnection('write').execute<T>(sql, [...params], 'all');
}
