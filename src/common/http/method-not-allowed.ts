import Router from 'find-my-way';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';

/** The order `Allow` lists methods in (RFC 9110 sets none; this one reads naturally). */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A request whose path exists under another method is `405 method_not_allowed` with `Allow` naming the path's methods
 * (RFC 9110 §15.5.6), as problem+json; a path no route has stays `404`. Fastify's router only says "no route", so the
 * routes are mirrored, as they are registered, into a second router of the same kind (find-my-way, the one Fastify
 * uses, with the same options) that is asked, on a miss, which methods would have matched.
 */
export function addMethodNotAllowed(fastify: FastifyInstance, routerOptions: { maxParamLength?: number } = {}): void {
  const mirror = Router({ maxParamLength: routerOptions.maxParamLength });
  const methods = new Set<string>();

  fastify.addHook('onRoute', (route) => {
    for (const method of ([] as HTTPMethods[]).concat(route.method)) {
      const upper = method.toUpperCase() as HTTPMethods;
      for (const m of upper === 'GET' ? ['GET', 'HEAD'] : [upper]) {
        if (mirror.hasRoute(m as Router.HTTPMethod, route.url)) continue;
        mirror.on(m as Router.HTTPMethod, route.url, () => undefined);
        methods.add(m);
      }
    }
  });

  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?', 1)[0];
    const allowed = [...methods].filter((m) => m !== request.method && mirror.find(m as Router.HTTPMethod, path) !== null);
    if (!allowed.length) return;
    const allow = allowed.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join(', ');
    sendProblem(
      new AppException(ErrorCode.MethodNotAllowed, `${request.method} is not allowed here; allowed: ${allow}`, { status: 405, headers: { allow } }),
      request,
      reply,
    );
    return reply;
  });
}
