import fc from 'fast-check';

/** The part of an OpenAPI 3.0 schema object the generators read. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  nullable?: boolean;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
}

/** One property of a body changed to something the document says it cannot hold, and why. */
export interface Mutation {
  why: string;
  apply(body: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Where the generators bend the document, each a rule of the service stated here (and in docs/testing.md), never a
 * silent skip:
 * - Lengths are counted as JavaScript counts them (UTF-16 code units), so a "valid" string is measured that way.
 * - Text never holds NUL (U+0000): PostgreSQL cannot store it, and every field refuses it (`validation_failed`).
 * - `format: email` is generated as ordinary addresses (`local@domain.test`): the format's grammar is looser than any
 *   mail system's, and the service takes what it can deliver to.
 * - `format: date-time` is RFC 3339, so four-digit years (0001-9999).
 */
const MAX_GENERATED_LENGTH = 300;
const TEXT_UNIT = fc.oneof({ weight: 3, arbitrary: fc.constant('grapheme-ascii' as const) }, { weight: 1, arbitrary: fc.constant('grapheme' as const) });

const isNullable = (s: JsonSchema) => s.nullable === true || (Array.isArray(s.type) && s.type.includes('null'));
const typeOf = (s: JsonSchema): string | undefined => (Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type);

/** A pattern that is one character class repeated (`^[A-Za-z0-9_-]+$`): its characters, else undefined. */
function simpleClass(pattern: string): string[] | undefined {
  const match = /^\^\[((?:[^\]\\]|\\.)+)\][+*]\$$/.exec(pattern);
  if (!match) return undefined;
  const chars: string[] = [];
  const body = match[1].replace(/\\(.)/g, '$1');
  for (let i = 0; i < body.length; i++) {
    if (body[i + 1] === '-' && i + 2 < body.length) {
      for (let c = body.charCodeAt(i); c <= body.charCodeAt(i + 2); c++) chars.push(String.fromCharCode(c));
      i += 2;
    } else chars.push(body[i]);
  }
  return chars;
}

export class SchemaArbitraries {
  constructor(private readonly schemas: Record<string, JsonSchema>) {}

  resolve(schema: JsonSchema | undefined): JsonSchema {
    if (!schema) return {};
    if (schema.$ref) return this.resolve(this.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => this.resolve(s)), { ...schema, allOf: undefined });
    return schema;
  }

  /** Values the document calls valid for `schema`; `undefined` when it describes nothing a generator can honour. */
  valid(raw: JsonSchema): fc.Arbitrary<unknown> | undefined {
    const schema = this.resolve(raw);
    const base = this.validNonNull(schema);
    if (!base) return undefined;
    return isNullable(schema) ? fc.oneof({ weight: 4, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }) : base;
  }

  private validNonNull(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
    if (schema.enum?.length) return fc.constantFrom(...schema.enum);
    if (schema.oneOf?.length || schema.anyOf?.length) {
      const options = (schema.oneOf ?? schema.anyOf)!.map((s) => this.valid(s)).filter((a): a is fc.Arbitrary<unknown> => !!a);
      return options.length ? fc.oneof(...options) : undefined;
    }
    switch (typeOf(schema)) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'array': {
        const item = this.valid(schema.items ?? {});
        if (!item) return undefined;
        return fc.array(item, { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 10) });
      }
      case 'object':
        return schema.properties ? this.object(schema) : undefined;
      default:
        return undefined;
    }
  }

  private string(schema: JsonSchema): fc.Arbitrary<string> | undefined {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? Math.max(min, 40);
    const fits = (s: string) => s.length >= min && s.length <= max && !s.includes('\u0000');
    switch (schema.format) {
      case 'uuid':
        return fc.uuid();
      case 'email': {
        const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'), minLength: 1, maxLength: 20 });
        return fc.tuple(word, word).map(([local, domain]) => `${local}@${domain}.test`).filter(fits);
      }
      case 'date-time':
        return fc
          .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
          .map((d) => d.toISOString());
      case 'binary':
        return undefined;
    }
    if (schema.pattern) {
      const chars = simpleClass(schema.pattern);
      if (chars) return fc.string({ unit: fc.constantFrom(...chars), minLength: Math.max(min, 1), maxLength: Math.min(max, MAX_GENERATED_LENGTH) });
      return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
    }
    const ordinary = TEXT_UNIT.chain((unit) => fc.string({ unit, minLength: min, maxLength: Math.min(max, MAX_GENERATED_LENGTH) })).filter(fits);
    // The edge the document names: exactly the maximum length.
    const longest = fc.string({ unit: 'grapheme-ascii', minLength: max, maxLength: max });
    return schema.maxLength !== undefined ? fc.oneof({ weight: 5, arbitrary: ordinary }, { weight: 1, arbitrary: longest }) : ordinary;
  }

  private object(schema: JsonSchema, skip: Set<string> = new Set()): fc.Arbitrary<Record<string, unknown>> | undefined {
    const required = new Set(schema.required ?? []);
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (skip.has(name)) continue;
      const arbitrary = this.valid(property);
      if (arbitrary) record[name] = arbitrary;
      else if (required.has(name)) return undefined;
    }
    return fc.record(record, { requiredKeys: Object.keys(record).filter((k) => required.has(k)) });
  }

  /** Bodies the document calls valid, leaving out the properties in `skip`. */
  validBody(schema: JsonSchema, skip: Set<string> = new Set()): fc.Arbitrary<Record<string, unknown>> | undefined {
    return this.object(this.resolve(schema), skip);
  }

  /** Values outside what `schema` allows, each with the reason. */
  invalidValues(raw: JsonSchema): [string, unknown][] {
    const schema = this.resolve(raw);
    const out: [string, unknown][] = [];
    if (!isNullable(schema)) out.push(['null', null]);
    if (schema.enum?.length) {
      out.push(['a value outside the enum', '__not_in_enum__']);
      if (typeof schema.enum[0] === 'string') out.push(['a number for an enum string', 7]);
      return out;
    }
    switch (typeOf(schema)) {
      case 'string': {
        out.push(['a number', 12345], ['true', true], ['an object', { a: 1 }], ['an array', ['a']]);
        if (schema.minLength) out.push([`${schema.minLength - 1} characters (minLength ${schema.minLength})`, 'a'.repeat(schema.minLength - 1)]);
        if (schema.maxLength !== undefined) out.push([`${schema.maxLength + 1} characters (maxLength ${schema.maxLength})`, 'a'.repeat(schema.maxLength + 1)]);
        if (schema.pattern) out.push(['a string outside the pattern', ' not ok! ']);
        if (schema.format === 'uuid') out.push(['not a UUID', 'not-a-uuid']);
        if (schema.format === 'email') out.push(['not an email', 'not-an-email']);
        if (schema.format === 'date-time') {
          out.push(['not a date-time', 'not-a-date'], ['epoch milliseconds', 1_767_225_600_000], ['an impossible date', '2024-13-45T25:61:00Z']);
        }
        break;
      }
      case 'integer':
        out.push(['a fraction', (schema.minimum ?? 0) + 0.5], ['a numeric string', String(schema.minimum ?? 1)], ['true', true]);
        if (schema.minimum !== undefined) out.push([`below the minimum ${schema.minimum}`, schema.minimum - 1]);
        if (schema.maximum !== undefined) out.push([`above the maximum ${schema.maximum}`, schema.maximum + 1]);
        break;
      case 'number':
        out.push(['a numeric string', String(schema.minimum ?? 1)], ['true', true]);
        if (schema.minimum !== undefined) out.push([`below the minimum ${schema.minimum}`, schema.minimum - 1]);
        if (schema.maximum !== undefined) out.push([`above the maximum ${schema.maximum}`, schema.maximum + 1]);
        break;
      case 'boolean':
        out.push(['the string "true"', 'true'], ['1', 1]);
        break;
      case 'array': {
        out.push(['a string', 'a'], ['an object', { a: 1 }]);
        const item = this.resolve(schema.items ?? {});
        if (schema.maxItems !== undefined) {
          const sample = this.valid(item);
          const one = sample ? fc.sample(sample, { numRuns: 1, seed: 1 })[0] : 'a';
          out.push([`${schema.maxItems + 1} items (maxItems ${schema.maxItems})`, Array.from({ length: schema.maxItems + 1 }, () => one)]);
        }
        for (const [why, value] of this.invalidValues(item).slice(0, 3)) out.push([`an item that is ${why}`, [value]]);
        break;
      }
    }
    return out;
  }

  /** Every single-property mutation of a body of `schema`: a wrong value, a required property missing, an unknown one. */
  mutations(raw: JsonSchema, skip: Set<string> = new Set()): Mutation[] {
    const schema = this.resolve(raw);
    const out: Mutation[] = [];
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (skip.has(name)) continue;
      for (const [why, value] of this.invalidValues(property)) out.push({ why: `${name}: ${why}`, apply: (body) => ({ ...body, [name]: value }) });
      if (schema.required?.includes(name)) {
        out.push({
          why: `${name}: missing (required)`,
          apply: ({ [name]: _gone, ...rest }) => rest,
        });
      }
    }
    out.push({ why: 'an unknown property', apply: (body) => ({ ...body, unknown_property: 'x' }) });
    return out;
  }
}
