import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, FieldError } from './app.exception';
import { ErrorCode } from './error-code';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Deeper than this, input is refused before anything walks it recursively (Nest's proto-key stripping, class-transformer). */
const MAX_DEPTH = 32;
/** A UTF-16 surrogate without its pair: JSON allows the escape (`"\ud800"`), but it is no text (validator's isEmail throws on it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What no field may hold, whatever its DTO says: NUL characters (PostgreSQL text cannot store them, so they would
 * fail in the query as a 500), lone surrogates, and nesting deeper than `MAX_DEPTH` (a stack overflow in the pipe).
 * Checked on path parameters too, which a plain `@Param('name') name: string` never validates.
 * `field` is '' for a whole body, query or parameter object: its fields are named as class-validator names them.
 */
function unacceptable(value: unknown, field: string, depth = 0): FieldError | undefined {
  const name = field || 'value';
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field: name, message: `${name} must not contain NUL characters` };
    if (LONE_SURROGATE.test(value)) return { field: name, message: `${name} must be valid Unicode text` };
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth >= MAX_DEPTH) return { field: name, message: `${name} nests deeper than ${MAX_DEPTH} levels` };
  for (const [key, child] of Object.entries(value)) {
    const path = field ? `${field}.${key}` : key;
    const found = unacceptable(key, path) ?? unacceptable(child, path, depth + 1);
    if (found) return found;
  }
  return undefined;
}

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const found = unacceptable(value, metadata.data ?? '');
      if (found) throw new AppException(ErrorCode.ValidationFailed, found.message, { errors: [found] });
    }
    return super.transform(value, metadata);
  }
}

/** Validates every body and query: unknown fields rejected, values transformed to their declared types. */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const detail = fieldErrors.map((e) => e.message).join('; ') || 'Invalid request';
      return new AppException(ErrorCode.ValidationFailed, detail, { errors: fieldErrors });
    },
  });
}
