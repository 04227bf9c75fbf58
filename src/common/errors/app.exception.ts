import { ErrorCode, STATUS_BY_CODE } from './error-code';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * The one exception services throw. The global filter turns it into problem+json.
 * `status` overrides the code's usual status where the contract says so (e.g. 422 for `validation_failed`).
 */
export class AppException extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    options: { status?: number; errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? code);
    this.status = options.status ?? STATUS_BY_CODE[code];
    this.errors = options.errors;
    this.headers = options.headers;
  }

  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  static notFound(detail = 'Not found'): AppException {
    return new AppException(ErrorCode.NotFound, detail);
  }

  static unprocessable(detail: string, field?: string): AppException {
    return new AppException(ErrorCode.ValidationFailed, detail, {
      status: 422,
      errors: field ? [{ field, message: detail }] : undefined,
    });
  }
}
