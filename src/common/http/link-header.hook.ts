import type { FastifyInstance } from 'fastify';

/**
 * Adds `Link: <…>; rel="next"` to every list answer that has a `next_cursor` (Mastodon's convention). A Fastify
 * `preSerialization` hook rather than a Nest interceptor: with no interceptor registered Nest skips its RxJS pipeline
 * (and Node's per-call `AsyncResource.bind`) on every request, which cost `GET /me` about a tenth of its CPU.
 */
export function addLinkHeader(fastify: FastifyInstance, publicUrl: string): void {
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    const cursor = (payload as { next_cursor?: unknown } | null)?.next_cursor;
    if (typeof cursor === 'string') {
      const url = new URL(request.url, publicUrl);
      url.searchParams.set('cursor', cursor);
      reply.header('Link', `<${url.toString()}>; rel="next"`);
    }
    done(null, payload);
  });
}
