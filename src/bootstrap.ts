import { randomUUID } from 'node:crypto';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { MikroORM } from '@mikro-orm/postgresql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module';
import { AppConfig } from './common/config/app-config';
import { startEmbeddedPostgres } from './common/database/embedded-postgres';
import { runInRequestContext } from './common/database/request-context';
import { migrateBeforeStart, migrateUnderLock } from './common/database/migrate';
import { AppException } from './common/errors/app.exception';
import { ErrorCode } from './common/errors/error-code';
import { ProblemFilter, sendClientErrorProblem, sendProblem } from './common/errors/problem.filter';
import { createValidationPipe } from './common/errors/validation';
import { addLinkHeader } from './common/http/link-header.hook';
import { addMethodNotAllowed } from './common/http/method-not-allowed';
import { PinoNestLogger } from './common/logging/logger';
import { createOpenApiDocument } from './common/openapi/openapi.document';
import { mountMetrics } from './common/metrics/metrics.http';
import { mountQueueDashboard } from './modules/admin/queue-dashboard/queue-dashboard';
import { addPassportReplyShim } from './modules/auth/google/passport-reply.hook';
import { addRawBodyCapture } from './modules/billing/stripe/raw-body.hook';
import { registerMediaUploads } from './modules/media/media.http';
import { FirstAdminService } from './modules/users/first-admin.service';

export const API_PREFIX = 'api/v1';
/** Served at the root, outside `/api/v1`, as the contract lists them. */
const ROOT_ROUTES = ['health/live', 'health/ready', 'metrics'];
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ROUTER_OPTIONS = { maxParamLength: 500 };

export interface DatabaseTarget {
  url: string;
  stop(): Promise<void>;
  /** Hands SIGTERM and SIGINT to the caller's shutdown, which stops the database last (embedded PostgreSQL only). */
  releaseSignals(): void;
}

/** `DATABASE_URL`, or the embedded PostgreSQL under the data folder when it is unset. */
export async function resolveDatabase(config: AppConfig): Promise<DatabaseTarget> {
  if (config.database.url) return { url: config.database.url, stop: async () => undefined, releaseSignals: () => undefined };
  return startEmbeddedPostgres(config.dataDir, config.database.embeddedPort);
}

function buildAdapter(config: AppConfig, pino: Pino): FastifyAdapter {
  return new FastifyAdapter({
    loggerInstance: pino,
    bodyLimit: config.http.bodyLimitBytes,
    // Unset: `request.ip` is the peer; per-IP limits, sessions' `ip` and /metrics's loopback check all read it.
    ...(config.http.trustProxy !== undefined ? { trustProxy: config.http.trustProxy } : {}),
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's own 503 while closing is plain JSON: `createHttpApp` answers it as a problem instead.
    return503OnClosing: false,
    routerOptions: ROUTER_OPTIONS,
    // Errors the router raises before any handler (a malformed URL, an over-long path parameter): problem+json too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => sendProblem(error, request, reply),
    // And what Node's HTTP parser refuses before the router (headers over the size limit).
    clientErrorHandler: sendClientErrorProblem,
    forceCloseConnections: 'idle',
    // No Express-style middleware anywhere (the ORM's request context is a hook, below): without @fastify/middie
    // every request skips its matching pass.
    skipMiddie: true,
  });
}

/** Routes under `/api/v1`, except what the contract serves at the root. */
export function setRoutePrefix(app: NestFastifyApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: ROOT_ROUTES });
}

function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', useGlobalPrefix: false });
}

/**
 * The document `/docs-json` serves, built without a server, a database or Redis: Nest's preview mode scans the modules
 * and their controllers without instantiating a provider. For tooling (`npm run openapi`, `npm run client:generate`,
 * `npm run client:check`); an e2e test checks it equals what `/docs-json` serves.
 */
export async function buildOpenApiDocumentOffline(config: AppConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, config.database.url ?? ''), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    setRoutePrefix(app);
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

export interface HttpAppOptions {
  /**
   * Called with the Fastify instance before any hook or route is added, so what it adds sees every answer (plugin
   * scopes copy the root's hooks when created). The tests' response-validation hook goes in here.
   */
  instrument?: (fastify: FastifyInstance) => void;
}

/** The HTTP application, configured but not listening: `main` listens, tests drive it in-process. */
export async function createHttpApp(config: AppConfig, databaseUrl: string, pino: Pino, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl), buildAdapter(config, pino), {
    logger: new PinoNestLogger(pino),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  options.instrument?.(fastify);
  // Each request gets its own MikroORM context, opened first, as the ORM's Nest middleware would, but as a plain
  // Fastify hook (the rest of the request runs inside it), and with its fork made only if something asks for it.
  const orm = app.get(MikroORM);
  fastify.addHook('onRequest', (_request, _reply, done) => runInRequestContext(orm.em, done));
  // Closing (SIGTERM): requests that still arrive on open connections are refused, as problem+json.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (!closing) return;
    reply.header('connection', 'close');
    sendProblem(new AppException(ErrorCode.ServiceUnavailable, 'The server is shutting down; retry'), request, reply);
    return reply;
  });
  // Before any route is registered: it mirrors them as they come.
  addMethodNotAllowed(fastify, ROUTER_OPTIONS);
  addPassportReplyShim(fastify);
  addLinkHeader(fastify, config.http.publicUrl);
  addRawBodyCapture(fastify);
  // The metrics hook first: Fastify scopes copy their parent's hooks when registered.
  mountMetrics(app);
  mountQueueDashboard(app);
  await registerMediaUploads(app);
  setRoutePrefix(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemFilter());
  setupOpenApi(app);
  return app;
}

async function createWorkerContext(config: AppConfig, databaseUrl: string, pino: Pino): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.forRoot(config, databaseUrl), {
    logger: new PinoNestLogger(pino),
    abortOnError: false,
  });
}

/** Migrations (once, under a lock) and the first admin, before any route or worker starts. */
export async function prepareDatabase(app: INestApplicationContext, config: AppConfig): Promise<void> {
  await migrateUnderLock(app.get(MikroORM));
  await app.get(FirstAdminService).ensureFirstAdmin(config.admin);
}

export async function createApp(config: AppConfig, databaseUrl: string, pino: Pino): Promise<INestApplicationContext> {
  // Before any worker, relay or sweep is built: they start as the context initialises, and must find the schema.
  await migrateBeforeStart(config, databaseUrl);
  const app = config.runsApi ? await createHttpApp(config, databaseUrl, pino) : await createWorkerContext(config, databaseUrl, pino);
  await prepareDatabase(app, config);
  return app;
}

export const bootstrapLogger = new Logger('Bootstrap');
