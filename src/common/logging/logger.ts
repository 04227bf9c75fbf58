import { LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
  '*.secret',
  'err.config.headers.Authorization',
];

/** Query parameters that carry credentials (`?access_token=` on the streaming routes, emailed `?token=` links…). */
const SECRET_QUERY = /([?&](?:access_token|refresh_token|token|code|code_verifier|state|sig)=)[^&#]*/gi;

/** A request URL fit for a log line: the values of credential-bearing query parameters replaced. */
export function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(SECRET_QUERY, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, minus query tokens: path-level `redact` cannot reach inside the URL string. */
function serializeRequest(req: LoggedRequest) {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/**
 * Human-readable lines (`pino-pretty`) for a developer watching a terminal: NODE_ENV `development` (the default) and
 * stdout a TTY. Anything else (production, tests, output piped to a file or a log collector) gets JSON lines, one object
 * per line, which is what log tooling parses.
 */
export function wantsPrettyLogs(nodeEnv: string | undefined, stdoutIsTty: boolean | undefined): boolean {
  return (nodeEnv ?? 'development') === 'development' && stdoutIsTty === true;
}

/**
 * Where the logs go: stdout as JSON (undefined: pino's default), or through `pino-pretty` when `wantsPrettyLogs`.
 * pino-pretty is a development dependency: an install without it (`npm ci --omit=dev`) falls back to JSON.
 * It formats in the same thread, synchronously: no worker thread to lose the last lines when the process exits.
 */
export function logDestination(
  nodeEnv: string | undefined = process.env.NODE_ENV,
  stdoutIsTty: boolean | undefined = process.stdout.isTTY,
  output: NodeJS.WritableStream | number = 1,
): pino.DestinationStream | undefined {
  if (!wantsPrettyLogs(nodeEnv, stdoutIsTty)) return undefined;
  let pretty: typeof import('pino-pretty');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    pretty = require('pino-pretty') as typeof pretty;
  } catch {
    return undefined;
  }
  // Colours only on the terminal itself; a stream handed in (a test) gets plain text.
  return pretty.build({ colorize: output === 1, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: output });
}

export function createPino(level: string, destination?: pino.DestinationStream): Pino {
  return pino({
    level,
    base: { pid: process.pid },
    serializers: { req: serializeRequest },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination as pino.DestinationStream);
}

/** `instanceof Error` fails for errors from another realm (Jest's sandbox, vm): test the shape instead. */
function isError(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).stack === 'string';
}

/** Nest's logger interface over the same pino instance Fastify logs requests with. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]) {
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    if (isError(message)) {
      this.pino[level]({ context, err: message }, message.message);
      return;
    }
    if (typeof message === 'object' && message !== null) {
      const [text] = params;
      this.pino[level]({ context, ...(message as object) }, typeof text === 'string' ? text : undefined);
      return;
    }
    const stack = level === 'error' && typeof params[0] === 'string' ? params[0] : undefined;
    this.pino[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }
}
