import { createHash, timingSafeEqual } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { sendProblem } from '@/common/errors/problem.filter';
import { MetricsService } from './metrics.service';

export const METRICS_PATH = '/metrics';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(ip: string): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

/**
 * Times every request by route pattern (an `onResponse` hook on the root instance, so it must run before other
 * plugins are registered) and serves `GET /metrics`. A plain Fastify route rather than a Nest controller: the
 * global access-token guard would read `Authorization: Bearer <METRICS_TOKEN>` as a (bad) session token.
 */
export function mountMetrics(app: NestFastifyApplication): void {
  const metrics = app.get(MetricsService);
  const token = app.get(AppConfig).metrics.token;
  const fastify = app.getHttpAdapter().getInstance();
  if (!token) new Logger('Metrics').warn('METRICS_TOKEN is unset: GET /metrics answers loopback callers only');

  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeHttp(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  fastify.get(METRICS_PATH, async (request, reply) => {
    if (token && !bearerMatches(request.headers.authorization, token)) {
      const denied = new AppException(ErrorCode.Unauthorized, 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"', {
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      });
      sendProblem(denied, request, reply);
      return reply;
    }
    // Without a token, only this host (a sidecar scraper, an SSH tunnel): `request.ip` as TRUST_PROXY resolves it.
    if (!token && !isLoopback(request.ip)) {
      sendProblem(new AppException(ErrorCode.Forbidden, 'Metrics answer loopback callers only unless METRICS_TOKEN is set'), request, reply);
      return reply;
    }
    try {
      const body = await metrics.render();
      return reply.header('Cache-Control', 'no-store').type(metrics.contentType).send(body);
    } catch (error) {
      sendProblem(error, request, reply);
      return reply;
    }
  });
}
