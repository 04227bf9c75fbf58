import { Agent, IncomingHttpHeaders, request } from 'node:http';
import type { ObservedResponse } from './openapi-contract';

/** One answer, read to the end. `error` is set instead of a status when the request never got one. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body when it is JSON (problem+json included). */
  body?: unknown;
}

export interface RawRequest {
  method: string;
  /** Sent exactly as given (no URL normalisation), so `../` and `%00` reach the server as they are. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/**
 * A minimal HTTP/1.1 client for loopback servers: no redirects followed, no path normalisation (unlike fetch, which
 * resolves `../` before sending), keep-alive connections from one agent. Tests of hostile input and load use it.
 */
export class HttpClient {
  readonly agent: Agent;

  /**
   * `observe` sees every answer: for a server in another process, pass `t.contract.observe` so its answers are
   * checked against the OpenAPI document too (an in-process app checks its own, see `openapi-contract.ts`).
   */
  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
    maxSockets = 16,
    private readonly observe?: (response: ObservedResponse) => void,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(req: RawRequest, retried = false): Promise<RawResponse> {
    return new Promise<RawResponse>((resolve, reject) => {
      const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
      const headers: Record<string, string | number> = { ...req.headers };
      if (body) headers['content-length'] = body.length;
      const call = request(
        { host: this.host, port: this.port, method: req.method, path: req.path, headers, agent: this.agent, timeout: req.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            if (/json/.test(String(res.headers['content-type'] ?? ''))) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined;
              }
            }
            const status = res.statusCode ?? 0;
            this.observe?.({ method: req.method, url: req.path, status, contentType: res.headers['content-type'], body: text });
            resolve({ status, headers: res.headers, text, body: parsed });
          });
        },
      );
      call.on('timeout', () => call.destroy(new Error(`${req.method} ${req.path}: no answer in ${req.timeoutMs ?? 30_000} ms`)));
      call.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket that the server was closing (idle past its keep-alive timeout) as this request went out
        // on it: the race every keep-alive client has, not an answer of the service. Node's documentation repeats such
        // a request once; only a GET, which is safe to repeat.
        if (!retried && call.reusedSocket && error.code === 'ECONNRESET' && req.method === 'GET') resolve(this.send(req, true));
        else reject(error);
      });
      call.end(body);
    });
  }

  /** JSON in, JSON out, with an optional bearer token. */
  json(method: string, path: string, body?: unknown, token?: string, options: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<RawResponse> {
    return this.send({
      method,
      path,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...options.headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: options.timeoutMs,
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const STACK_OR_SQL = /\bat .+\.(ts|js):\d+|node_modules|select .+ from|insert into|update .+ set|violates .+ constraint|syntax error at/i;

/**
 * What is wrong with an answer to hostile input, or undefined when it is acceptable: a 2xx (or a redirect with a
 * Location), or a 4xx RFC 9457 problem with its `code`; never a 5xx, never a stack trace or SQL.
 */
export function answerProblem(res: RawResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (STACK_OR_SQL.test(res.text)) return 'stack trace or SQL in the body';
  if (res.status >= 300 && res.status < 400) return res.headers.location ? undefined : `redirect ${res.status} without Location`;
  if (res.status < 300) return undefined;
  if (!/^application\/problem\+json/.test(String(res.headers['content-type'] ?? ''))) return `${res.status} with content-type ${res.headers['content-type']}`;
  const body = res.body as { code?: unknown; status?: unknown } | undefined;
  if (typeof body?.code !== 'string') return `${res.status} problem without a code`;
  if (body.status !== res.status) return `${res.status} problem saying status ${String(body.status)}`;
  return undefined;
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inParallel<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(lanes);
}
