/** The stable, machine-readable `code` of every problem+json answer (see the REST contract). */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  /** Not in the contract's list: the path exists, the method does not (`405`, with `Allow`). */
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RateLimited = 'rate_limited',
  PaymentRequired = 'payment_required',
  /** An emailed token (verification, password reset) that is unknown, used or expired. */
  InvalidToken = 'invalid_token',
  /** Not in the contract's list: a dependency (PostgreSQL, Redis, Stripe) is down; retry later. */
  ServiceUnavailable = 'service_unavailable',
  /** Not in the contract's list: an upstream service (Stripe, Google) answered with an error. */
  BadGateway = 'bad_gateway',
  Internal = 'internal',
}

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.ValidationFailed]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.PaymentRequired]: 402,
  [ErrorCode.InvalidToken]: 400,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Internal]: 500,
  [ErrorCode.BadGateway]: 502,
  [ErrorCode.ServiceUnavailable]: 503,
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  402: ErrorCode.PaymentRequired,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  422: ErrorCode.ValidationFailed,
  429: ErrorCode.RateLimited,
  502: ErrorCode.BadGateway,
  503: ErrorCode.ServiceUnavailable,
};

export function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.Internal : ErrorCode.ValidationFailed);
}
