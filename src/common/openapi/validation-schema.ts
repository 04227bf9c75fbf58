import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * The JSON Schema keywords a class-validator decorator enforces, so the document states every constraint the
 * service checks without restating it in `@ApiProperty` (where it drifts). Validators without a schema
 * equivalent (custom ones, `@ValidateIf`) add nothing; the document then says less than the service checks.
 */
function keywordsOf(meta: ValidationMetadata): SchemaObject {
  const [first, second] = meta.constraints ?? [];
  switch (meta.name) {
    case 'isString':
      return { type: 'string' };
    case 'isInt':
      return { type: 'integer' };
    case 'isNumber':
      return { type: 'number' };
    case 'isBoolean':
      return { type: 'boolean' };
    case 'isArray':
      return { type: 'array' };
    case 'isNotEmpty':
      return { minLength: 1 };
    case 'minLength':
      return { minLength: first };
    case 'maxLength':
      return { maxLength: first };
    case 'isLength':
      return { minLength: first, ...(second !== undefined ? { maxLength: second } : {}) };
    case 'min':
      return { minimum: first };
    case 'max':
      return { maximum: first };
    case 'arrayMinSize':
      return { minItems: first };
    case 'arrayMaxSize':
      return { maxItems: first };
    case 'isIn':
      return { enum: [...(first as unknown[])] };
    case 'isUuid':
      return { type: 'string', format: 'uuid' };
    case 'isEmail':
      return { type: 'string', format: 'email' };
    case 'isUrl':
      return { type: 'string', format: 'uri' };
    case 'isDate':
      // A JSON body carries a date as an ISO 8601 string, which @Type(() => Date) turns into a Date.
      return { type: 'string', format: 'date-time' };
    case 'matches': {
      const pattern = first instanceof RegExp ? first : new RegExp(String(first), typeof second === 'string' ? second : '');
      // JSON Schema patterns carry no flags: only a case-sensitive pattern (with or without `u`) can be stated.
      return pattern.flags.replace('u', '') === '' ? { pattern: pattern.source } : {};
    }
    default:
      return {};
  }
}

/** Per property: the keywords its validators enforce (`each: true` ones under `items`). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- class-validator keys its metadata by class
export function validationSchemas(target: Function): Map<string, SchemaObject> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
  const byProperty = new Map<string, SchemaObject>();
  for (const meta of metas) {
    const keywords = keywordsOf(meta);
    if (!Object.keys(keywords).length) continue;
    const schema = byProperty.get(meta.propertyName) ?? {};
    if (meta.each) {
      schema.type = 'array';
      schema.items = { ...(schema.items as SchemaObject | undefined), ...keywords };
    } else {
      Object.assign(schema, keywords.type === 'array' && schema.items ? { type: 'array' } : keywords);
    }
    byProperty.set(meta.propertyName, schema);
  }
  return byProperty;
}

/**
 * Adds what the validators enforce to a property's schema: keywords it does not state yet, and `integer` where it
 * says `number`. What it states already stays (a stricter `minLength` there is a rule the service answers with `422`).
 */
export function mergeValidation(schema: SchemaObject, enforced: SchemaObject): void {
  if ('$ref' in schema || schema.allOf) return;
  for (const [key, value] of Object.entries(enforced)) {
    if (key === 'items') {
      schema.items = schema.items ?? {};
      if (!('$ref' in schema.items)) mergeValidation(schema.items as SchemaObject, value as SchemaObject);
    } else if (key === 'type') {
      if (schema.type === undefined || (schema.type === 'number' && value === 'integer') || (schema.type === 'object' && value !== 'object')) {
        schema.type = value as SchemaObject['type'];
      }
    } else if ((schema as Record<string, unknown>)[key] === undefined) {
      (schema as Record<string, unknown>)[key] = value;
    }
  }
}
