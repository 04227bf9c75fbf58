import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/**
 * What each error status means when a route gives no reason of its own. Every documented 4xx/5xx answer gets the
 * shared `Problem` schema (`application/problem+json`) from the document's post-processor (`openapi.document.ts`).
 */
export const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`validation_failed`): the body, the query or a path parameter; `errors` names each field',
  401: 'No valid access token (`unauthorized`)',
  402: 'The payment was declined (`payment_required`)',
  403: 'Not allowed (`forbidden`)',
  404: 'Not found (`not_found`)',
  409: 'In conflict with the current state (`conflict`)',
  413: 'The body is over the size limit (`payload_too_large`)',
  415: 'The body is not of an accepted content type (`unsupported_media_type`)',
  416: 'The range cannot be satisfied',
  422: 'Well-formed, but refused by a rule of the service (`validation_failed`)',
  429: 'Rate limited (`rate_limited`): `Retry-After` says when to retry',
  502: 'An upstream service (Stripe, Google) answered with an error (`bad_gateway`); retry later',
  503: 'A dependency does not answer, or the server is shutting down (`service_unavailable`); retry later',
};

export type ProblemEntry = number | [status: number, description: string];

/**
 * The error statuses a route answers beyond those derived for every route (see docs/openapi.md): business rules
 * (`409`, `422`, a `403` a service raises, `502`/`503` from an upstream). `[status, why]` says why.
 * On a controller class, it applies to each of its routes.
 */
export function ApiProblems(...entries: ProblemEntry[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...entries.map((entry) => {
      const [status, description] = typeof entry === 'number' ? [entry, PROBLEM_DESCRIPTIONS[entry] ?? 'Error'] : entry;
      return ApiResponse({ status, description });
    }),
  );
}
