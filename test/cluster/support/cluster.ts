import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

export const CLUSTER_ENV = 'X18_CLUSTER';
export const SKIP_ENV = 'X18_CLUSTER_SKIP';
const ROOT = join(__dirname, '..', '..', '..');

/** What the global setup started (scripts/cluster/up.sh --infra-only). */
export interface ClusterInfo {
  dir: string;
  portBase: number;
  /** What the apps use: PgBouncer when installed, else the primary. */
  databaseUrl: string;
  primaryUrl: string;
  replicaUrl: string;
  pgbouncer: boolean;
  redisNodes: string;
  redisPorts: number[];
}

export function clusterInfo(): ClusterInfo | undefined {
  const raw = process.env[CLUSTER_ENV];
  return raw ? (JSON.parse(raw) as ClusterInfo) : undefined;
}

// ------------------------------------------------------------------------------------------------ app processes

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` for an API process. */
  url?: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `src/main.ts` as a real process (TypeScript through test/support/ts-register.js). */
export function startApp(name: string, env: Record<string, string>, port?: number): AppProcess {
  let output = '';
  const child = spawn(process.execPath, ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env, APP_ROLE: port ? 'api' : 'worker', PORT: String(port ?? 0) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, url: port ? `http://127.0.0.1:${port}` : undefined, output: () => output, exited };
}

/** Waits for an API process to listen or a worker to run. */
export async function untilReady(app: AppProcess, timeoutMs = 60_000): Promise<void> {
  const mark = app.url ? 'listening on' : 'running as worker';
  const deadline = Date.now() + timeoutMs;
  while (!app.output().includes(mark)) {
    if (Date.now() > deadline || app.child.exitCode !== null) throw new Error(`${app.name} did not start:\n${app.output().slice(-3000)}`);
    await sleep(100);
  }
}

export async function stopApp(app: AppProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill(signal);
  return app.exited;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

// ----------------------------------------------------------------------------------------------------------- HTTP

/** Parsed JSON, as loosely typed as `JSON.parse` answers it. */
type Json = ReturnType<typeof JSON.parse>;

export interface Answer<T = Json> {
  status: number;
  body: T;
  headers: Headers;
}

/** One JSON request to one API process. */
export async function call<T = Json>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export interface SseStream {
  /** Resolves with the data of the first `event: notification` matching `accept`. */
  next(accept: (data: Json) => boolean, timeoutMs?: number): Promise<Json>;
  close(): void;
}

/** Opens `GET /api/v1/streaming/notifications` on one API process; resolves once the stream is open. */
export function openNotificationStream(base: string, token: string): Promise<SseStream> {
  const url = new URL(`${base}/api/v1/streaming/notifications?access_token=${token}`);
  return new Promise((resolve, reject) => {
    const events: Json[] = [];
    const waiters = new Set<() => void>();
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop()!;
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: notification') && data) events.push(JSON.parse(data.slice(6)));
        }
        for (const wake of waiters) wake();
      });
      // The subscription is in place once the first bytes (the stream's opening) arrive.
      res.once('data', () =>
        resolve({
          next: (accept, timeoutMs = 20_000) =>
            new Promise((done, fail) => {
              const check = () => {
                const found = events.find(accept);
                if (!found) return;
                waiters.delete(check);
                clearTimeout(timer);
                done(found);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(events)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            }),
          close: () => req.destroy(),
        }),
      );
    });
    req.on('error', (error) => (/aborted|socket hang up/.test(error.message) ? undefined : reject(error)));
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------- Redis

export function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

export function role(port: number): 'master' | 'slave' {
  return /^role:(\w+)/m.exec(redisCli(port, 'info', 'replication'))![1] as 'master' | 'slave';
}

/** The primary serving `key`'s slot and the port of one of its replicas. */
export function ownersOf(anyPort: number, key: string): { primary: number; replica: number } {
  const slot = Number(redisCli(anyPort, 'cluster', 'keyslot', key));
  const nodes = redisCli(anyPort, 'cluster', 'nodes')
    .split('\n')
    .map((line) => line.split(' '))
    .map(([id, address, flags, master, , , , , ...slots]) => ({ id, port: Number(address.split(':')[1].split('@')[0]), flags, master, slots }));
  const primary = nodes.find(
    (n) =>
      n.flags.includes('master') &&
      n.slots.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
      }),
  )!;
  const replica = nodes.find((n) => n.master === primary.id)!;
  return { primary: primary.port, replica: replica.port };
}
