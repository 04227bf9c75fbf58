import { appendFileSync } from 'node:fs';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * The response-validation hook: every answer an e2e suite receives is checked against the OpenAPI document the app
 * serves (`/docs-json`), for the operation and status it belongs to. An undocumented status, an undocumented content
 * type, or a JSON body that does not match its schema is a violation; `useTestApp` fails the test that caused it.
 * So every e2e test is also a contract test. See docs/openapi.md.
 *
 * Stricter than the published document in one way: response objects are checked closed (`additionalProperties:
 * false`), so every field the service sends must be documented. The published document leaves them open, so
 * clients keep working when a field is added.
 */

/**
 * Answers that are no operation of the REST contract, and why. Anything else that matches no operation must be a
 * `404` or `405` problem (an unknown route or method), or it is a violation.
 */
const NOT_OPERATIONS: { pattern: RegExp; reason: string }[] = [
  { pattern: /^\/docs(-json)?(\/|$)/, reason: 'the document itself and Swagger UI' },
  { pattern: /^\/metrics$/, reason: 'Prometheus exposition for operators (docs/operations.md), not part of the REST contract' },
  { pattern: /^\/admin\/queues(\/|$)/, reason: "bull-board's dashboard and its own JSON API (docs/operations.md)" },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface ObservedResponse {
  method: string;
  /** The path and query as requested. */
  url: string;
  /** The route Fastify matched (`/api/v1/posts/:id`), when it matched one. */
  route?: string;
  status: number;
  contentType?: string;
  /** The body as sent; undefined for a stream (file bytes), which is checked by content type only. */
  body?: string;
}

const SCHEMA_ID = 'openapi';

/**
 * OpenAPI 3.0 schema → JSON Schema as Ajv reads it: `nullable` becomes a `null` alternative (so `nullable` beside
 * `allOf: [$ref]` means what it says), references point into the registered components, and response objects are
 * closed (see the top of this file).
 */
function toJsonSchema(node: Json, closeObjects: boolean): Json {
  if (Array.isArray(node)) return node.map((child) => toJsonSchema(child, closeObjects));
  if (node === null || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#/, `${SCHEMA_ID}#`);
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, toJsonSchema(child, closeObjects)]));
    } else out[key] = toJsonSchema(value, closeObjects);
  }
  if (closeObjects && out.properties && out.additionalProperties === undefined && !out.allOf && !out.anyOf && !out.oneOf) {
    out.additionalProperties = false;
  }
  return node.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

function matchesMediaType(documented: string, actual: string): boolean {
  if (documented === '*/*' || documented === actual) return true;
  const [type, subtype] = documented.split('/');
  return subtype === '*' && actual.startsWith(`${type}/`);
}

function templateOf(route: string): string {
  return route.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

/** The document, compiled lazily: one validator per (path, method, status, media type) that answers are seen for. */
export class ResponseContract {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; regex: RegExp }[];

  constructor(private readonly document: Document) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: SCHEMA_ID, components: { schemas: toJsonSchema((document.components?.schemas ?? {}) as Json, true) } } as Schema);
    this.templates = Object.keys(document.paths).map((template) => ({
      template,
      regex: new RegExp(
        `^${template
          .split(/(\{[^}]+\})/)
          .map((part) => (part === '{path}' ? '.+' : part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
          .join('')}$`,
      ),
    }));
  }

  private template(response: ObservedResponse, path: string): string | undefined {
    if (response.route && this.document.paths[templateOf(response.route)]) return templateOf(response.route);
    return this.templates.find((candidate) => candidate.regex.test(path))?.template;
  }

  /** What is wrong with this answer, or undefined when the document describes it. */
  check(response: ObservedResponse): string | undefined {
    const path = response.url.split('?')[0];
    if (NOT_OPERATIONS.some((entry) => entry.pattern.test(path))) return undefined;
    const method = response.method.toLowerCase() === 'head' ? 'get' : response.method.toLowerCase();
    const template = this.template(response, path);
    const operation = template ? this.document.paths[template][method] : undefined;
    const type = mediaType(response.contentType);
    if (!operation) {
      // No such route, or not with this method: a `404`/`405` problem is the right answer.
      if ((response.status === 404 || response.status === 405) && type === 'application/problem+json') {
        return this.validateBody('Problem', { $ref: `${SCHEMA_ID}#/components/schemas/Problem` }, response);
      }
      return `no operation documents ${response.method} ${template ?? path} (answered ${response.status})`;
    }
    const documented = operation.responses[String(response.status)] ?? operation.responses[`${String(response.status)[0]}XX`];
    if (!documented) return `status ${response.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
    const empty = response.body === '' || (response.body === undefined && !type);
    if (response.method.toUpperCase() === 'HEAD' || response.status === 304 || response.status === 204) {
      return empty || response.method.toUpperCase() === 'HEAD' ? undefined : `a ${response.status} with a body`;
    }
    const contents = Object.entries(documented.content ?? {});
    if (empty) return contents.length && response.status !== 204 ? `an empty body; the document describes ${contents.map(([t]) => t).join(', ')}` : undefined;
    if (!type) return 'a body without a Content-Type';
    const content = contents.find(([documentedType]) => matchesMediaType(documentedType, type));
    if (!content) return `content type ${type} is not documented for ${response.status} (documented: ${contents.map(([t]) => t).join(', ') || 'no body'})`;
    const [documentedType, { schema }] = content;
    if (!schema || !/json/.test(type) || response.body === undefined) return undefined;
    return this.validateBody(`${template} ${method} ${response.status} ${documentedType}`, toJsonSchema(schema, true) as Schema, response);
  }

  private validateBody(key: string, schema: Schema, response: ObservedResponse): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(response.body ?? '');
    } catch {
      return 'a JSON content type with a body that is not JSON';
    }
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    if (validate(body)) return undefined;
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
    return `the body does not match the schema: ${errors.join('; ')}`;
  }
}

/** Compiled documents, by their text: every app of a suite serves the same one. */
const contracts = new Map<string, ResponseContract>();

function contractFor(text: string): ResponseContract {
  let contract = contracts.get(text);
  if (!contract) {
    contract = new ResponseContract(JSON.parse(text) as Document);
    contracts.set(text, contract);
  }
  return contract;
}

export interface ContractViolation {
  response: string;
  problem: string;
}

/** Collects what one app answered that its document does not describe; the suite's hooks turn them into failures. */
export class ContractRecorder {
  private contract?: ResponseContract;
  private violations: ContractViolation[] = [];

  /** Before any route is registered: Fastify's plugin scopes copy the root's hooks when they are created. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onSend', async (request, reply, payload) => {
      this.observe({
        method: request.method,
        url: request.url,
        route: request.routeOptions?.url,
        status: reply.statusCode,
        contentType: String(reply.getHeader('content-type') ?? '') || undefined,
        body: typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? '' : undefined,
      });
      return payload;
    });
  }

  /** With the document the app serves at `/docs-json`. Answers before this (none, in practice) are not checked. */
  arm(document: object): void {
    this.contract = contractFor(JSON.stringify(document));
  }

  observe(response: ObservedResponse): void {
    const problem = this.contract?.check(response);
    if (problem) {
      const shown = response.body && response.body.length > 300 ? `${response.body.slice(0, 300)}…` : response.body;
      this.violations.push({ response: `${response.method} ${response.url.slice(0, 200)} → ${response.status} ${shown ?? ''}`, problem });
    }
  }

  /**
   * Throws (and forgets them) when answers since the last call broke the contract. With `OPENAPI_CONTRACT_REPORT`
   * set to a file, appends them there instead (one JSON line each) and passes: to survey a whole run at once.
   */
  assertClean(): void {
    const found = this.violations;
    this.violations = [];
    if (!found.length) return;
    const report = process.env.OPENAPI_CONTRACT_REPORT;
    if (report) {
      appendFileSync(report, found.map((v) => `${JSON.stringify({ suite: expect.getState().testPath, ...v })}\n`).join(''));
      return;
    }
    const lines = found.slice(0, 10).map((v) => `- ${v.problem}\n    ${v.response}`);
    const more = found.length > 10 ? `\n  …and ${found.length - 10} more` : '';
    throw new Error(`${found.length} response(s) the OpenAPI document does not describe:\n${lines.join('\n')}${more}`);
  }
}
