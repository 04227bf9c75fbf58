/**
 * `node -r ./test/support/ts-register.js bench/lists-explain.ts`: EXPLAIN (ANALYZE, BUFFERS) of the list timeline's page query, exactly as
 * ListTimelineService builds it, on a seeded database (--database-url, else DATABASE_URL): lists of 10 and 5,000
 * members (the most followed accounts) owned by `demo_viewer_200`, first page and a page 200 posts down. The lists are
 * written for the run and deleted after it. Prints markdown for docs/lists.md.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { buildOrmOptions } from '@/common/database/orm-options';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { ListTimelineService } from '@/modules/lists/list-timeline.service';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { parseArgs } from '../scripts/lib/args';
import { DEMO_ACCOUNTS } from '../scripts/lib/demo-graph';

const args = parseArgs(process.argv.slice(2), [{ name: 'database-url', value: 'string', help: 'postgres:// URL of the seeded database' }], 'EXPLAIN of the list timeline');

/** An EntityManager that keeps each statement's plan and still answers the rows. */
function explaining(em: EntityManager, plans: string[][]): EntityManager {
  return new Proxy(em, {
    get(target, prop, receiver) {
      if (prop === 'isInTransaction') return () => false;
      if (prop === 'execute') {
        return async (sql: string, params: unknown[]) => {
          const rows = await target.execute<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${sql}`, params);
          plans.push(rows.map((r) => r['QUERY PLAN']));
          return target.execute(sql, params);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function main(): Promise<void> {
  const url = (args['database-url'] as string | undefined) ?? process.env.DATABASE_URL;
  if (!url) throw new Error('--database-url or DATABASE_URL');
  const config = loadConfig({ ...process.env, DATABASE_URL: url });
  const orm = await MikroORM.init(buildOrmOptions(config, url));
  const em = orm.em.fork();
  const [owner] = await em.execute<{ id: string }[]>('select id from users where username = ?', [DEMO_ACCOUNTS.viewer200]);
  const viewer = { id: owner.id, role: 'user' as const, sessionId: 'bench' };
  const policy = new PostAccessPolicy(undefined as never, undefined as never, new EntitlementsService(undefined as never, config));
  const out: string[] = [`Load average at start: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`, ''];
  const lists: string[] = [];
  try {
    for (const size of [10, 5000]) {
      const [list] = await em.execute<{ id: string }[]>(
        `insert into lists (id, owner_id, name, members_count) values (gen_random_uuid(), ?, ?, 0) returning id`,
        [owner.id, `explain ${size}`],
      );
      lists.push(list.id);
      const [{ n }] = await em.execute<{ n: number }[]>(
        `with m as (insert into list_members (list_id, member_id)
           select ?, id from users where id <> ? and suspended_at is null order by followers_count desc, id limit ? returning 1)
         select count(*)::int as n from m`,
        [list.id, owner.id, size],
      );
      await em.execute('update lists set members_count = ? where id = ?', [n, list.id]);
      await em.execute('analyze list_members');
      const service = (e: EntityManager) => new ListTimelineService(e, undefined as never, policy, undefined as never);
      const deep = await service(em).rows(viewer, list.id, n, undefined, 200);
      const last = deep[deep.length - 1];
      for (const [title, cursor] of [
        ['first page', undefined],
        [`page after ${deep.length} posts`, last ? { at: new Date(last.created_at), id: last.id } : undefined],
      ] as const) {
        const plans: string[][] = [];
        await service(explaining(em, plans)).rows(viewer, list.id, n, cursor, 21);
        out.push(`### ${n} members, ${title} (limit 21)`, '', '```', ...plans.flat(), '```', '');
      }
    }
  } finally {
    if (lists.length) await em.execute('delete from lists where id in (?)', [lists]);
  }
  out.push(`Load average at end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  await orm.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
