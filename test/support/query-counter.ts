import { Client } from 'pg';

/** The SQL statements sent to PostgreSQL while a piece of work ran. */
export interface QueryLog {
  count: number;
  statements: string[];
}

type QueryFn = (this: Client, ...args: unknown[]) => unknown;

function sqlOf(first: unknown): string {
  if (typeof first === 'string') return first;
  if (first && typeof first === 'object' && 'text' in first) return String((first as { text: unknown }).text);
  return String(first);
}

/**
 * Counts every statement the process sends to PostgreSQL, at the lowest level there is: `pg.Client#query`, which
 * every pooled connection of MikroORM's knex goes through (entity finds, `em.execute`, BEGIN/COMMIT, savepoints).
 * Hooking MikroORM's logger would miss whatever bypasses its Connection; this cannot.
 *
 * Nothing else may talk to the database meanwhile: boot the app with `APP_ROLE=api` (no outbox relay or workers)
 * and await one request at a time. Connection setup statements (`select version()` on the pool's very first
 * connection) are avoided by warming up before measuring.
 */
export class QueryCounter {
  private statements: string[] | undefined;
  private original: QueryFn | undefined;

  install(): void {
    if (this.original) return;
    const proto = Client.prototype as unknown as { query: QueryFn };
    const original = proto.query;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const counter = this;
    proto.query = function (this: Client, ...args: unknown[]) {
      counter.statements?.push(sqlOf(args[0]).replace(/\s+/g, ' ').trim());
      return original.apply(this, args);
    };
    this.original = original;
  }

  uninstall(): void {
    if (!this.original) return;
    (Client.prototype as unknown as { query: QueryFn }).query = this.original;
    this.original = undefined;
  }

  /** Runs `work` and answers the statements it caused. */
  async measure(work: () => Promise<unknown>): Promise<QueryLog> {
    if (!this.original) throw new Error('QueryCounter.install() first');
    if (this.statements) throw new Error('QueryCounter.measure() does not nest');
    this.statements = [];
    try {
      await work();
      return { count: this.statements.length, statements: this.statements };
    } finally {
      this.statements = undefined;
    }
  }
}
