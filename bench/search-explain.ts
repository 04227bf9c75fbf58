/**
 * `npm run bench:search-explain`: EXPLAIN (ANALYZE, BUFFERS) of every search and discovery query, exactly as the
 * repositories build them, on the bench database (--database-url, else DATABASE_URL). Prints markdown for
 * docs/search.md. Read-only except the discovery refresh, which runs inside a rolled-back transaction.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { buildOrmOptions } from '@/common/database/orm-options';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { DiscoveryRepository } from '@/modules/search/repositories/discovery.repository';
import { SearchRepository } from '@/modules/search/repositories/search.repository';
import { likePrefix, parsePostsQuery } from '@/modules/search/search-query';
import { parseArgs } from '../scripts/lib/args';
import { DEMO_ACCOUNTS } from '../scripts/lib/demo-graph';

const args = parseArgs(process.argv.slice(2), [{ name: 'database-url', value: 'string', help: 'postgres:// URL of the seeded database' }], 'EXPLAIN of the search queries');

/**
 * An EntityManager that keeps each statement's plan and, for reads, still answers the rows (so the repositories run
 * unchanged). Writes (`answer: false`) run once, under EXPLAIN ANALYZE.
 */
function explaining(em: EntityManager, plans: string[][], answer = true): EntityManager {
  return new Proxy(em, {
    get(target, prop, receiver) {
      if (prop === 'isInTransaction') return () => false;
      if (prop === 'execute') {
        return async (sql: string, params: unknown[]) => {
          const rows = await target.execute<{ 'QUERY PLAN': string }[]>(`explain (analyze, buffers) ${sql}`, params);
          plans.push(rows.map((r) => r['QUERY PLAN']));
          return answer ? target.execute(sql, params) : [];
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
  const [viewer] = await em.execute<{ id: string }[]>('select id from users where username = ?', [DEMO_ACCOUNTS.viewer5k]);
  const searcher = { id: viewer.id, role: 'user' as const, sessionId: 'bench' };
  // The policy's SQL form only: it needs entitlements' grace days, none of the look-ups.
  const policy = new PostAccessPolicy(undefined as never, undefined as never, new EntitlementsService(undefined as never, config));
  const cases: [string, (search: SearchRepository, discovery: DiscoveryRepository) => Promise<unknown>][] = [
    ['posts: common word `coffee`', (s) => s.posts(searcher, parsePostsQuery('coffee'), undefined, 21)],
    ['posts: two common words `cafe musique` (accent folded)', (s) => s.posts(searcher, parsePostsQuery('cafe musique'), undefined, 21)],
    ['posts: rare word `serendipity`', (s) => s.posts(searcher, parsePostsQuery('serendipity'), undefined, 21)],
    ['posts: phrase `"café crème"`', (s) => s.posts(searcher, parsePostsQuery('"café crème"'), undefined, 21)],
    ['posts: phrase `"new song"` (517 matches in a year: the worst case, every window)', (s) => s.posts(searcher, parsePostsQuery('"new song"'), undefined, 21)],
    ['posts: `from:demo_creator coffee`', (s) => s.posts(searcher, parsePostsQuery('from:demo_creator coffee'), undefined, 21)],
    ['posts: `#photography sketch`', (s) => s.posts(searcher, parsePostsQuery('#photography sketch'), undefined, 21)],
    ['posts: Cyrillic `ПРИВЕТ`, anonymous', (s) => s.posts(undefined, parsePostsQuery('ПРИВЕТ'), undefined, 21)],
    ['users: prefix `ana`', (s) => s.users(viewer.id, { prefix: likePrefix('ana'), exact: 'ana', words: ['ana'] }, undefined, 21)],
    ['users: display name `zoe`', (s) => s.users(viewer.id, { words: ['zoe'] }, undefined, 21)],
    ['hashtags: prefix `co`', (s) => s.hashtags(likePrefix('co'), undefined, 21)],
    ['suggestions for demo_viewer_5k (follows 5,000)', (_, d) => d.suggestions(viewer.id, 20)],
    ['trending: read', (_, d) => d.trending(20)],
  ];
  const out: string[] = [`Load average at start: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`, ''];
  for (const [title, run] of cases) {
    const plans: string[][] = [];
    const proxied = explaining(em, plans);
    await run(new SearchRepository(proxied, policy), new DiscoveryRepository(proxied, policy));
    out.push(`### ${title}`, '', '```', ...plans.flat(), '```', '');
  }
  const refresh = orm.em.fork();
  await refresh.begin();
  await refresh.execute('set local jit = off'); // as DiscoveryRefreshService does
  try {
    const plans: string[][] = [];
    const repo = new DiscoveryRepository(refresh, policy);
    for (const [title, run] of [
      ['discovery job, every 30 s: trending_tags', () => repo.refreshTrending(explaining(refresh, plans, false))],
      ['discovery job, every 30 s: hashtag_stats touched from the last 24 hours', () => repo.touchRecentHashtags(explaining(refresh, plans, false))],
      ['discovery job, hourly: hashtag_stats rebuilt', () => repo.refreshHashtagStats(explaining(refresh, plans, false))],
    ] as const) {
      plans.length = 0;
      await run();
      out.push(`### ${title}`, '', '```', ...plans.flat(), '```', '');
    }
  } finally {
    await refresh.rollback();
  }
  out.push(`Load average at end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  await orm.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
