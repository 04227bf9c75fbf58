import type { FastifyInstance } from 'fastify';

type HeaderValue = string | number | readonly string[];

/**
 * Passport answers some requests itself (the redirect to Google's consent page) with Express's `res.setHeader` and
 * `res.end`, which a Fastify reply lacks (nestjs/nest#5702). Every reply gets both. They go through the Fastify reply
 * rather than `reply.raw`, so headers set before (`x-request-id`) are sent and Fastify's hooks and logging still run.
 */
export function addPassportReplyShim(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (_request, reply) => {
    Object.assign(reply, {
      setHeader: (name: string, value: HeaderValue) => reply.header(name, value),
      end: (body?: string | Buffer) => reply.send(body),
    });
  });
}
