import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';
import { AppConfig } from '../config/app-config';

/** Adds `Link: <…>; rel="next"` to every list answer that has a `next_cursor` (Mastodon's convention). */
@Injectable()
export class LinkHeaderInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: unknown) => {
        const cursor = (body as { next_cursor?: unknown } | null)?.next_cursor;
        if (context.getType() === 'http' && typeof cursor === 'string') {
          const http = context.switchToHttp();
          const request = http.getRequest<FastifyRequest>();
          const url = new URL(request.url, this.config.http.publicUrl);
          url.searchParams.set('cursor', cursor);
          http.getResponse<FastifyReply>().header('Link', `<${url.toString()}>; rel="next"`);
        }
        return body;
      }),
    );
  }
}
