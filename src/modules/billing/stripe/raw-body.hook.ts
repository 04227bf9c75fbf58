import { Transform, pipeline } from 'node:stream';
import type { FastifyInstance, FastifyRequest, preParsingHookHandler } from 'fastify';

/** Route config (`@RouteConfig(RAW_BODY)`) for a route that needs the exact bytes received, e.g. to check a signature. */
export const RAW_BODY = { rawBody: true } as const;

export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * Keeps the raw body of the routes configured with `RAW_BODY`, as `request.rawBody`, next to the parsed one. Only
 * those routes pay for the copy (Nest's `rawBody: true` would keep every JSON body twice). The bytes are teed while
 * the usual parser reads them, so its body limit and errors still apply. Call before the routes are registered.
 */
export function addRawBodyCapture(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (!(route.config as { rawBody?: boolean } | undefined)?.rawBody) return;
    const existing = route.preParsing ? [route.preParsing].flat() : [];
    route.preParsing = [...existing, captureRawBody];
  });
}

const captureRawBody: preParsingHookHandler = (request: RawBodyRequest, _reply, payload, done) => {
  const chunks: Buffer[] = [];
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      request.rawBody = Buffer.concat(chunks);
      callback();
    },
  });
  done(null, pipeline(payload, tee, () => undefined));
};
