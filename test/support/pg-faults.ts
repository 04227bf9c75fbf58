import { Client } from 'pg';
import { waitFor } from './wait';

/**
 * A statement of the app made to fail at a chosen point, deterministically, by PostgreSQL itself: a connection of the
 * test's own holds a table in ACCESS EXCLUSIVE mode, so the app's next statement on that table waits on the lock; the
 * test finds that backend (waiting, its statement naming a marker such as an id) and either cancels the statement
 * (`pg_cancel_backend`: "canceling statement due to user request", the connection lives on, as after a statement
 * timeout) or terminates the backend as the soak's chaos does (`pg_terminate_backend`: "terminating connection due to
 * administrator command"), then lets the lock go.
 */
export class BackendKiller {
  private constructor(
    private readonly admin: Client,
    private readonly holder: Client,
  ) {}

  /** Connects to the app's database (two connections: the lock holder and the killer). */
  static async on(databaseUrl: string): Promise<BackendKiller> {
    const admin = new Client({ connectionString: databaseUrl, application_name: 'test-backend-killer' });
    const holder = new Client({ connectionString: databaseUrl, application_name: 'test-lock-holder' });
    await admin.connect();
    await holder.connect();
    return new BackendKiller(admin, holder);
  }

  /** From now on every statement on `table` waits (until `release`). */
  async lock(table: string): Promise<void> {
    await this.holder.query('begin');
    await this.holder.query(`lock table ${table} in access exclusive mode`);
  }

  /** From now on every write of the row `id` of `table` waits (until `release`); reads and foreign-key checks pass. */
  async lockRow(table: string, id: string): Promise<void> {
    await this.holder.query('begin');
    await this.holder.query(`select 1 from ${table} where id = $1 for no key update`, [id]);
  }

  /** Waits until at least `count` backends of this database wait on a lock. */
  async untilWaiting(count: number, timeoutMs = 20_000): Promise<void> {
    const waiting = async () =>
      (
        await this.admin.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
        )
      ).rows[0].n;
    const n = await waitFor(waiting, (found) => found >= count, timeoutMs, 20);
    if (n < count) throw new Error(`${n} backend(s) waited on a lock within ${timeoutMs} ms, not ${count}`);
  }

  /** The waiting statement that contains `marker` fails; its connection stays usable. Answers the statement. */
  cancelWaiting(marker: string): Promise<string> {
    return this.hitWaiting(marker, 'pg_cancel_backend');
  }

  /** The backend running the waiting statement that contains `marker` is terminated. Answers the statement. */
  terminateWaiting(marker: string): Promise<string> {
    return this.hitWaiting(marker, 'pg_terminate_backend');
  }

  /** Waits until a statement that contains `marker` waits on a lock (and leaves it waiting). Answers its pid. */
  async waitingOn(marker: string): Promise<number> {
    return (await this.waiting(marker)).pid;
  }

  private async hitWaiting(marker: string, how: 'pg_cancel_backend' | 'pg_terminate_backend'): Promise<string> {
    const { pid, query } = await this.waiting(marker);
    await this.admin.query(`select ${how}($1)`, [pid]);
    return query;
  }

  /** A backend of this database blocked on a lock while running a statement that contains `marker`. */
  private async waiting(marker: string, timeoutMs = 20_000): Promise<{ pid: number; query: string }> {
    const waiting = () =>
      this.admin.query<{ pid: number; query: string }>(
        `select pid, query from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid() and position($1 in query) > 0`,
        [marker],
      );
    const { rows } = await waitFor(waiting, (r) => r.rows.length > 0, timeoutMs, 20);
    if (!rows.length) throw new Error(`no statement containing ${marker} waited on a lock within ${timeoutMs} ms`);
    return rows[0];
  }

  /** Lets the waiting statements through. */
  async release(): Promise<void> {
    await this.holder.query('commit');
  }

  async close(): Promise<void> {
    // Outside a transaction (released already) a rollback only warns.
    await this.holder.query('rollback');
    await Promise.all([this.admin.end(), this.holder.end()]);
  }
}
