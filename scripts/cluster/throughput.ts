/**
 * Throughput of the scale-out set-up against one process, on the same local cluster and the same settings:
 *
 *   npm run cluster:up && node -r ./test/support/ts-register.js scripts/cluster/throughput.ts [seconds] [connections]
 *
 * Runs the cluster's app processes as one APP_ROLE=all process (`up.sh --single`), then as 2 API + 2 worker
 * processes (reached through the round-robin, and directly with half the connections on each API port), three
 * times in turn, and drives each with autocannon (same settings):
 * GET /api/v1/timelines/public (anonymous, a replica read) and POST /api/v1/posts (64 users, an outbox event each,
 * which the workers relay and handle). Per endpoint and round: a 3 s warm-up, then one measured run; the table shows
 * medians over the rounds. Leaves the 2+2 running.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

const ROOT = resolve(__dirname, '..', '..');
const DIR = resolve(process.env.CLUSTER_DIR ?? join(ROOT, '.data', 'cluster'));
const BASE = Number(process.env.CLUSTER_PORT_BASE ?? 17000);
const SECONDS = Number(process.argv[2] ?? 10);
const CONNECTIONS = Number(process.argv[3] ?? 32);
const ROUNDS = 3;
const USERS = 64;
// Same log level for both set-ups (a log line per request costs CPU); no post rate limit in the way.
const APP_ENV = { ...process.env, CLUSTER_BUILD: '0', CLUSTER_LOG_LEVEL: 'warn', RATE_LIMIT_POST_CREATE: '10000000/1h', RATE_LIMIT_REGISTER_IP: '100000/1h' };

interface Result {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function script(name: string, ...args: string[]): void {
  execFileSync('bash', [join(__dirname, name), ...args], { env: APP_ENV, stdio: ['ignore', 'ignore', 'inherit'] });
}

async function register(base: string): Promise<string> {
  const username = `tp_${randomBytes(6).toString('hex')}`;
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email: `${username}@example.test`, password: 'correct-horse-battery-staple' }),
  });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** One autocannon run; with several bases the connections are split evenly and the rates added up. */
async function run(bases: string[], request: autocannon.Request, seconds: number): Promise<Result> {
  const results = await Promise.all(
    bases.map((url) => autocannon({ url, connections: Math.ceil(CONNECTIONS / bases.length), duration: seconds, requests: [request] })),
  );
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((total, r) => total + pick(r), 0);
  const worst = (pick: (r: autocannon.Result) => number) => Math.max(...results.map(pick));
  return {
    rps: sum((r) => r.requests.average),
    p50: worst((r) => r.latency.p50),
    p99: worst((r) => r.latency.p99),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors + r.timeouts),
  };
}

function endpoints(tokens: string[]): Record<string, autocannon.Request> {
  let n = 0;
  return {
    'GET /api/v1/timelines/public': { method: 'GET', path: '/api/v1/timelines/public' },
    'POST /api/v1/posts': {
      method: 'POST',
      path: '/api/v1/posts',
      setupRequest: (req) => ({
        ...req,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[n % tokens.length]}` },
        body: JSON.stringify({ content: `throughput post ${n++}` }),
      }),
    },
  };
}

type SetUp = 'one' | 'four';
/** What is measured: a set-up of processes, reached through some addresses. */
const TARGETS = {
  one: { setUp: 'one', urls: [`http://127.0.0.1:${BASE + 30}`], label: '1 process (`APP_ROLE=all`)' },
  four: { setUp: 'four', urls: [`http://127.0.0.1:${BASE + 80}`], label: '2 API + 2 workers, through the round-robin' },
  direct: { setUp: 'four', urls: [`http://127.0.0.1:${BASE + 20}`, `http://127.0.0.1:${BASE + 21}`], label: '2 API + 2 workers, half the connections to each API port' },
} as const;

/** Starts a set-up's processes (the other's stopped), then warms up and measures each endpoint on each of its targets. */
async function round(setUp: SetUp, tokens: () => Promise<string[]>, into: Map<string, Result[]>): Promise<void> {
  script('down.sh', '--apps');
  script('up.sh', ...(setUp === 'one' ? ['--single'] : []));
  const requests = endpoints(await tokens());
  for (const [key, target] of Object.entries(TARGETS)) {
    if (target.setUp !== setUp) continue;
    for (const [name, request] of Object.entries(requests)) {
      await run([...target.urls], request, 3);
      const result = await run([...target.urls], request, SECONDS);
      into.set(`${key} ${name}`, [...(into.get(`${key} ${name}`) ?? []), result]);
      process.stderr.write(`  ${target.label}, ${name}: ${Math.round(result.rps)} req/s (p50 ${result.p50} ms, p99 ${result.p99} ms)\n`);
    }
  }
}

function median(results: Result[]): Result {
  const pick = (f: (r: Result) => number) => results.map(f).sort((x, y) => x - y)[results.length >> 1];
  return { rps: pick((r) => r.rps), p50: pick((r) => r.p50), p99: pick((r) => r.p99), non2xx: pick((r) => r.non2xx), errors: pick((r) => r.errors) };
}

async function main(): Promise<void> {
  if (!existsSync(join(DIR, 'cluster.env'))) throw new Error(`no cluster in ${DIR}: run npm run cluster:up first`);
  let tokens: string[] | undefined;
  // Registered once, through whichever set-up runs first: a token is good on every process.
  const users = async () => (tokens ??= await Promise.all(Array.from({ length: USERS }, () => register(TARGETS.one.urls[0]))));
  const results = new Map<string, Result[]>();
  // Interleaved rounds, so that other load on the machine weighs on both set-ups alike.
  for (let i = 0; i < ROUNDS; i++) {
    process.stderr.write(`round ${i + 1} of ${ROUNDS}\n`);
    await round('one', users, results);
    await round('four', users, results);
  }
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const cell = (r: Result, base: Result) =>
    `${Math.round(r.rps)} req/s${r === base ? '' : ` (×${(r.rps / base.rps).toFixed(2)})`}, p50 ${r.p50} ms, p99 ${r.p99} ms${r.non2xx + r.errors ? `, ${r.non2xx + r.errors} non-2xx/errors` : ''}`;
  const rows = Object.keys(endpoints([])).map((name) => {
    const [one, four, direct] = (['one', 'four', 'direct'] as const).map((key) => median(results.get(`${key} ${name}`)!));
    return `| \`${name}\` | ${cell(one, one)} | ${cell(four, one)} | ${cell(direct, one)} |`;
  });
  console.log(
    [
      `autocannon, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s each after a 3 s warm-up, medians; load average after: ${load}`,
      '',
      `| endpoint | ${TARGETS.one.label} | ${TARGETS.four.label} | ${TARGETS.direct.label} |`,
      '|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  // Back to the usual 2+2 at the usual log level.
  script('down.sh', '--apps');
  execFileSync('bash', [join(__dirname, 'up.sh')], { env: { ...process.env, CLUSTER_BUILD: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
