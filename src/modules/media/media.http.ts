import fastifyMultipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Multipart parsing for `POST /media`. Only the parser is registered here; the route reads the parts as streams
 * with its own limits (see `MediaUploadService`), so no upload is ever buffered in memory or written to a temp file.
 */
export async function registerMediaUploads(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyMultipart as unknown as Parameters<NestFastifyApplication['register']>[0], {
    limits: { files: 1, parts: 6, fields: 4 },
  });
}
