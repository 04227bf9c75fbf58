import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { catchError, from, Observable, of, switchMap, throwError } from 'rxjs';
import { AuthenticatedRequest } from '../auth/auth.decorators';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-code';
import { IdempotencyKeysRepository } from './idempotency-keys.repository';

const TTL_SECONDS = 24 * 3600;
/** 1-255 visible ASCII characters (the document states it as the header's pattern). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` (Stripe's convention): a repeat with the same key and user within 24 h answers the first
 * response and creates nothing; the same key with a different body is `422`; while the first is in flight, `409`.
 * A failed first attempt releases the key, so the client may retry.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly keys: IdempotencyKeysRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers['idempotency-key'];
    if (header === undefined || !request.user) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new AppException(ErrorCode.ValidationFailed, 'Idempotency-Key must be 1-255 visible ASCII characters', {
        errors: [{ field: 'Idempotency-Key', message: 'invalid' }],
      });
    }
    const userId = request.user.id;
    const path = request.url.split('?')[0];
    const hash = createHash('sha256').update(`${request.method} ${path}\n${JSON.stringify(request.body ?? null)}`).digest('hex');

    return from(this.keys.claim(userId, key, request.method, path, hash, TTL_SECONDS)).pipe(
      switchMap((existing) => {
        if (!existing) {
          return next.handle().pipe(
            switchMap((body) => from(this.keys.complete(userId, key, reply.statusCode, body)).pipe(switchMap(() => of(body)))),
            catchError((error: unknown) => from(this.keys.release(userId, key)).pipe(switchMap(() => throwError(() => error)))),
          );
        }
        if (existing.request_hash !== hash) {
          throw AppException.unprocessable('This Idempotency-Key was used with a different request', 'Idempotency-Key');
        }
        if (existing.response_status === null) {
          throw new AppException(ErrorCode.Conflict, 'A request with this Idempotency-Key is still in progress');
        }
        reply.status(existing.response_status);
        reply.header('Idempotent-Replayed', 'true');
        return of(existing.response_body);
      }),
    );
  }
}
