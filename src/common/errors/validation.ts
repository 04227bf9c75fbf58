import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
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

type Class = abstract new (...args: never[]) => unknown;
const NOT_DTOS = new Set<unknown>([String, Number, Boolean, Array, Object, Date, Buffer, Function]);
const isDto = (type: unknown): type is Class => typeof type === 'function' && !NOT_DTOS.has(type) && !!type.prototype;

interface DocumentedProperty {
  nullable?: boolean;
  type?: unknown;
  oneOf?: { type?: unknown }[];
  anyOf?: { type?: unknown }[];
}

/** What `@ApiProperty()` says of a property: the OpenAPI document and the validation read the same declaration. */
function documented(dto: Class, property: string): DocumentedProperty | undefined {
  return Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, dto.prototype as object, property) as DocumentedProperty | undefined;
}

function documentsNull(property: DocumentedProperty | undefined): boolean {
  if (!property) return false;
  const isNull = (type: unknown) => type === 'null' || (Array.isArray(type) && type.includes('null'));
  return property.nullable === true || isNull(property.type) || [...(property.oneOf ?? []), ...(property.anyOf ?? [])].some((s) => isNull(s.type));
}

/** The class a documented property holds (`type: Nested`, `type: () => Nested`, alone or as array items), if any. */
function nestedDto(property: DocumentedProperty | undefined): Class | undefined {
  let type = property?.type;
  // A lazy reference (an arrow function, which has no prototype) names the class when called.
  if (typeof type === 'function' && !Object.prototype.hasOwnProperty.call(type, 'prototype')) type = (type as () => unknown)();
  return isDto(type) ? type : undefined;
}

/** Every property a DTO declares, whether through class-validator or Swagger (unknown ones are the whitelist's business). */
function declaredProperties(dto: Class): Set<string> {
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(dto as unknown as new () => unknown, '', true, false)
    .map((m) => m.propertyName);
  const swagger = ((Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES_ARRAY, dto.prototype as object) as string[] | undefined) ?? []).map((key) =>
    key.replace(/^:/, ''),
  );
  return new Set([...validated, ...swagger]);
}

/**
 * `null` for a property whose `@ApiProperty()` does not say `nullable: true`. class-validator's `@IsOptional()` lets
 * `null` through like a missing value, so without this `{"up_to_id": null}` passed every check and reached the service,
 * which took it for "absent": the document said the field is a UUID, the service accepted something else. Now a
 * field is nullable exactly when the document says so, checked in one place for every body and nested body.
 */
export function nullWhereNotNullable(value: unknown, dto: Class, parent = ''): FieldError[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const declared = declaredProperties(dto);
  return Object.entries(value).flatMap(([key, child]) => {
    if (!declared.has(key)) return [];
    const field = parent ? `${parent}.${key}` : key;
    const property = documented(dto, key);
    if (child === null) return documentsNull(property) ? [] : [{ field, message: `${field} must not be null` }];
    const nested = nestedDto(property);
    if (!nested) return [];
    if (Array.isArray(child)) return child.flatMap((item, i) => nullWhereNotNullable(item, nested, `${field}.${i}`));
    return nullWhereNotNullable(child, nested, field);
  });
}

class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const found = unacceptable(value, metadata.data ?? '');
      if (found) throw new AppException(ErrorCode.ValidationFailed, found.message, { errors: [found] });
    }
    if (metadata.type === 'body' && !metadata.data && isDto(metadata.metatype)) {
      const nulls = nullWhereNotNullable(value, metadata.metatype);
      if (nulls.length) throw new AppException(ErrorCode.ValidationFailed, nulls.map((e) => e.message).join('; '), { errors: nulls });
    }
    return super.transform(value, metadata);
  }
}

/**
 * Validates every body and query: unknown fields rejected, `null` only where documented, values turned into instances
 * of their DTO. No implicit conversion: a JSON number is not a string, `"5"` is not an integer, `true` is not a date;
 * the few conversions there are (query strings to numbers, ISO 8601 strings to dates) are explicit on their property.
 */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const detail = fieldErrors.map((e) => e.message).join('; ') || 'Invalid request';
      return new AppException(ErrorCode.ValidationFailed, detail, { errors: fieldErrors });
    },
  });
}
