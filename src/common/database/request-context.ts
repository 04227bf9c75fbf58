import { AsyncLocalStorage } from 'node:async_hooks';
import { RequestContext, TransactionContext } from '@mikro-orm/core';
import type { AnyEntity, EntityData, EntityManager as CoreEntityManager } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Client as PgClient } from 'pg';

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
export async function readSql<T extends EntityData<AnyEntity>[]>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T> {
  if (!em.global || TransactionContext.getEntityManager(em.name)) return em.execute<T>(sql, [...params]);
  // What `em.execute` sends (the ORM's own formatting of the values into the statement) on one of the same pool's
  // connections, with its errors converted alike; but without the context look-up, knex's query builder and runner,
  // or the ORM's logging wrapper: on a page of four statements those cost more CPU than building the page.
  const formatted = em.getPlatform().formatQuery(sql, [...params]);
  const client = em.getConnection('write').getKnex().client as { acquireConnection(): Promise<PgClient>; releaseConnection(c: PgClient): Promise<void> };
  let connection: PgClient | undefined;
  try {
    connection = await client.acquireConnection();
    return (await connection.query(formatted)).rows as T;
  } catch (error) {
    throw em.getDriver().convertException(error as Error);
  } finally {
    if (connection) await client.releaseConnection(connection);
  }
}
