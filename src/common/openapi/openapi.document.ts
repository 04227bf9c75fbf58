import { INestApplication, ParseUUIDPipe, Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Role } from '../auth/auth-user';
import { PUBLIC_KEY, ROLES_KEY } from '../auth/auth.decorators';
import { ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { IDEMPOTENCY_KEY_PATTERN, IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { RATE_LIMITS_KEY } from '../rate-limit/rate-limit.decorator';
import { PROBLEM_DESCRIPTIONS } from './api-problems.decorator';
import { mergeValidation, validationSchemas } from './validation-schema';

/**
 * The OpenAPI document of every route, as the service really answers (see docs/openapi.md).
 *
 * `@nestjs/swagger` describes what the decorators say: the success answer and what a route declares. This module
 * adds, in one place, what follows from how a route is built, so no route can forget it:
 * - error statuses: `401` everywhere (a token that is sent is checked, on public routes too), `503` everywhere
 *   (shutdown, a dependency down), `400` where there is input, `413`/`415` where a body is read, `403` under
 *   `@Roles()`, `404` where the path names an `{id}` or `{username}`, `429` under `@RateLimit()`, `409`/`422` and the
 *   `Idempotency-Key` header under the idempotency interceptor; each with the shared `Problem` schema;
 * - security: `@Public()` routes take a token optionally (`[{}, {bearer: []}]`), the others require one;
 * - what the validators enforce (class-validator metadata of each body, query and path DTO), `integer` included;
 * - `additionalProperties: false` on request bodies: the global validation pipe refuses unknown fields;
 * - one parameter per header, whatever case `@ApiHeader` and `@Headers()` used.
 * Anything it cannot make true it refuses (`assertDocument`), so a build with a lying document fails.
 */

const OPERATION_ID = (controller: string, method: string) => `${controller}_${method}`;
/** Methods whose body Fastify reads (DELETE included): malformed (`400`), too large (`413`), of another type (`415`). */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
/** Path parameters that name a row: a route with one answers `404` when there is no such row (or it is not visible). */
const ENTITY_PARAMS = new Set(['id', 'username']);
const PROBLEM_REF = '#/components/schemas/Problem';

interface RouteArg {
  kind: RouteParamtypes;
  data?: string;
  type?: Target;
  pipes: unknown[];
}

/** A class (a controller, a DTO) or a handler, as metadata is read from it. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Reflect metadata is keyed by any function
type Target = Function;

/** What a handler's decorators say about it, read from the same metadata the guards and pipes read. */
interface RouteInfo {
  controller: Target;
  isPublic: boolean;
  roles?: Role[];
  rateLimits: string[];
  idempotent: boolean;
  args: RouteArg[];
}

function metadata<T>(key: string, handler: Target, controller: Target): T | undefined {
  return (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);
}

function routeArgs(controller: Target, method: string): RouteArg[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number; data?: unknown; pipes?: unknown[] }>;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as Target[];
  return Object.entries(args).map(([key, arg]) => ({
    kind: Number(key.split(':')[0]) as RouteParamtypes,
    data: typeof arg.data === 'string' ? arg.data : undefined,
    type: types[arg.index],
    pipes: arg.pipes ?? [],
  }));
}

/** Every route handler of the application, by the operation id the document gives it. */
function collectRoutes(app: INestApplication): Map<string, RouteInfo> {
  const routes = new Map<string, RouteInfo>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller || Reflect.getMetadata(PATH_METADATA, controller) === undefined) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const id = OPERATION_ID(controller.name, name);
        if (routes.has(id)) throw new Error(`OpenAPI: two handlers would share the operation id ${id}; rename one`);
        const interceptors = (metadata<unknown[]>(INTERCEPTORS_METADATA, handler, controller) ?? []) as unknown[];
        routes.set(id, {
          controller,
          isPublic: metadata<boolean>(PUBLIC_KEY, handler, controller) ?? false,
          roles: metadata<Role[]>(ROLES_KEY, handler, controller),
          rateLimits: metadata<string[]>(RATE_LIMITS_KEY, handler, controller) ?? [],
          idempotent: interceptors.includes(IdempotencyInterceptor),
          args: routeArgs(controller, name),
        });
      }
    }
  }
  return routes;
}

const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details: every error the service answers.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', example: 'about:blank' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string', enum: Object.values(ErrorCode), description: 'Stable and machine-readable' },
    errors: {
      type: 'array',
      description: 'One entry per invalid field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
    request_id: { type: 'string', description: 'The `x-request-id` of the request, to quote when reporting a problem' },
  },
};

function isRef(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** Adds `status` with the problem schema unless the route documents it already (then only the schema is added). */
function addProblem(operation: OperationObject, status: number, description = PROBLEM_DESCRIPTIONS[status]): void {
  const existing = operation.responses[status] as ResponseObject | undefined;
  operation.responses[status] = { description: existing?.description || description, content: existing?.content };
}

function withProblemContent(operation: OperationObject): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    if (Number(status) < 400 || !response || isRef(response)) continue;
    // An error answer is problem+json (`@ApiNotFoundResponse` gives a description only). A route that answers
    // something else too with that status (the readiness report with 503) declares it with a type; both stay.
    response.content = { ...response.content, [PROBLEM_CONTENT_TYPE]: { schema: { $ref: PROBLEM_REF } } };
  }
  // Statuses in order, as a reader expects them.
  operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)));
}

function headerKey(parameter: ParameterObject): string {
  return `${parameter.in}:${parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name}`;
}

/** `@ApiHeader({ name: 'Idempotency-Key' })` and `@Headers('idempotency-key')` name one header: keep the described one. */
function dedupeParameters(operation: OperationObject): void {
  const kept = new Map<string, ParameterObject>();
  for (const parameter of (operation.parameters ?? []) as ParameterObject[]) {
    const key = headerKey(parameter);
    const previous = kept.get(key);
    if (!previous || (!previous.description && parameter.description)) kept.set(key, { ...previous, ...parameter });
  }
  operation.parameters = [...kept.values()];
}

function applyValidation(document: OpenAPIObject, operation: OperationObject, route: RouteInfo): void {
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  for (const arg of route.args) {
    const location = arg.kind === RouteParamtypes.QUERY ? 'query' : arg.kind === RouteParamtypes.PARAM ? 'path' : undefined;
    if (location && arg.type && !arg.data && validationSchemas(arg.type).size) {
      for (const [property, enforced] of validationSchemas(arg.type)) {
        const parameter = parameters.find((p) => p.in === location && p.name === property);
        if (parameter?.schema && !isRef(parameter.schema)) mergeValidation(parameter.schema, enforced);
      }
    }
    if (location === 'path' && arg.data && arg.pipes.some((pipe) => pipe === ParseUUIDPipe || pipe instanceof ParseUUIDPipe)) {
      const parameter = parameters.find((p) => p.in === 'path' && p.name === arg.data);
      if (parameter?.schema && !isRef(parameter.schema)) mergeValidation(parameter.schema, { type: 'string', format: 'uuid' });
    }
    if (arg.kind === RouteParamtypes.BODY && arg.type && !arg.data) {
      const schema = document.components?.schemas?.[arg.type.name] as SchemaObject | undefined;
      if (!schema) continue;
      for (const [property, enforced] of validationSchemas(arg.type)) {
        const target = schema.properties?.[property];
        if (target && !isRef(target)) mergeValidation(target, enforced);
      }
      // The global pipe refuses unknown fields (`forbidNonWhitelisted`).
      schema.additionalProperties = false;
    }
  }
}

function refineOperation(document: OpenAPIObject, method: string, operation: OperationObject, route: RouteInfo): void {
  dedupeParameters(operation);
  applyValidation(document, operation, route);
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  const hasBody = BODY_METHODS.has(method);

  operation.security = route.isPublic ? [{}, { bearer: [] }] : [{ bearer: [] }];
  addProblem(
    operation,
    401,
    route.isPublic
      ? 'A token was sent and is invalid, expired or revoked (`unauthorized`); without one the route answers anonymously'
      : PROBLEM_DESCRIPTIONS[401],
  );
  if (route.roles) addProblem(operation, 403, `For ${route.roles.join(' or ')} accounts only (\`forbidden\`)`);
  if (parameters.some((p) => p.in !== 'header') || operation.requestBody || hasBody) addProblem(operation, 400);
  if (parameters.some((p) => p.in === 'path' && ENTITY_PARAMS.has(p.name))) addProblem(operation, 404);
  if (hasBody || operation.requestBody) {
    addProblem(operation, 413);
    addProblem(operation, 415);
  }
  if (route.rateLimits.length) addProblem(operation, 429, `Rate limited (${route.rateLimits.join(', ')}): \`Retry-After\` says when to retry`);
  if (route.idempotent) {
    const header = parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
    const schema: SchemaObject = { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN.source, minLength: 1, maxLength: 255 };
    if (header) Object.assign(header, { name: 'Idempotency-Key', schema });
    else parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema });
    operation.parameters = parameters;
    addProblem(operation, 409, 'A request with this `Idempotency-Key` is still in progress, or another conflict (`conflict`)');
    addProblem(operation, 422, 'This `Idempotency-Key` was used with a different request, or another rule refused it (`validation_failed`)');
  }
  addProblem(operation, 503);
  withProblemContent(operation);
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function* operationsOf(document: OpenAPIObject): Generator<[string, string, OperationObject]> {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (operation) yield [path, method, operation];
    }
  }
}

function* schemasUnder(schema: SchemaObject | ReferenceObject | undefined, at: string): Generator<[string, SchemaObject]> {
  if (!schema || isRef(schema)) return;
  yield [at, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* schemasUnder(child, `${at}.${name}`);
  if (schema.items) yield* schemasUnder(schema.items, `${at}[]`);
  for (const [i, child] of (schema.allOf ?? []).entries()) yield* schemasUnder(child, `${at}.allOf[${i}]`);
}

/**
 * What the document must never say, checked on every build: a field without a type (`nullable: true` alone makes
 * `type: object`, so `{"bio": {}}` would look valid), a property named `x[]`, a header listed twice.
 */
export function assertDocument(document: OpenAPIObject): void {
  const problems: string[] = [];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    for (const [at, node] of schemasUnder(schema, name)) {
      const composed = Boolean(node.allOf || node.oneOf || node.anyOf);
      const untyped = node.type === undefined && !composed && !node.enum;
      const emptyObject = node.type === 'object' && !composed && !node.properties && node.additionalProperties === undefined;
      if (at !== name && (untyped || emptyObject) && !(node as { format?: string }).format) problems.push(`${at}: no type (say it in @ApiProperty)`);
    }
  }
  for (const [path, method, operation] of operationsOf(document)) {
    const seen = new Set<string>();
    for (const parameter of (operation.parameters ?? []) as ParameterObject[]) {
      const key = headerKey(parameter);
      if (seen.has(key)) problems.push(`${method.toUpperCase()} ${path}: parameter ${parameter.name} twice`);
      seen.add(key);
      if (parameter.in === 'query' && parameter.schema && !isRef(parameter.schema) && parameter.schema.type === 'number') {
        problems.push(`${method.toUpperCase()} ${path}: query ${parameter.name} is a number; integers say so (@IsInt or type: 'integer')`);
      }
    }
  }
  if (problems.length) throw new Error(`The OpenAPI document would not tell the truth:\n- ${problems.join('\n- ')}`);
}

/** Refines the document @nestjs/swagger built from the decorators (see the top of this file). */
export function refineDocument(document: OpenAPIObject, routes: Map<string, RouteInfo>): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.schemas = { Problem: PROBLEM_SCHEMA, ...document.components.schemas };
  for (const [path, method, operation] of operationsOf(document)) {
    const route = routes.get(operation.operationId ?? '');
    if (!route) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} has no handler (operation id ${operation.operationId})`);
    refineOperation(document, method, operation, route);
  }
  const tags = new Set([...operationsOf(document)].flatMap(([, , operation]) => operation.tags ?? []));
  document.tags = [...tags].sort().map((name) => ({ name, ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}) }));
  assertDocument(document);
  return document;
}

/** What each `@ApiTags` group is (the lint asks for a description: add one here with a new tag). */
const TAG_DESCRIPTIONS: Record<string, string> = {
  account: 'Email verification, password reset, email change, account export and deletion',
  admin: 'Administration: verification, suspension, roles, the audit log and the moderation queue',
  auth: 'Registration, sign-in (password or Google), sessions and refresh tokens',
  billing: 'Stripe creator subscriptions, pay-per-view unlocks and the Stripe webhook',
  health: 'Liveness and readiness probes',
  lists: 'Private lists of accounts, their members and the list timeline',
  media: 'Uploads, their processing status and the stored files',
  messages: 'Direct messages: one-to-one conversations, requests, read state, paid messages, unsend',
  notifications: 'Notifications and their Server-Sent Events stream',
  payouts: "Stripe Connect onboarding and the state of a creator's payout account",
  posts: 'Posts, replies, threads, likes and reposts',
  profiles: 'Own and public profiles, follows, blocks and mutes',
  referrals: 'Referral codes and the accounts they brought',
  search: 'Search of posts, users and hashtags; trending tags and suggestions',
  timelines: 'Home, public, hashtag and per-user timelines',
  'trust and safety': 'Reports of posts and users',
};

export const OPENAPI_DESCRIPTION =
  'REST API. Errors are RFC 9457 problem+json (`Problem`) with a stable `code`; every operation lists each status it ' +
  'can answer. Lists take `limit` (1-100, default 20) and an opaque `cursor`, and answer `{ data, next_cursor }` plus ' +
  'a `Link: <…>; rel="next"` header. Routes marked with an optional token (`security: [{}, {bearer: []}]`) answer ' +
  'anonymous callers too, and a signed-in caller with what only they may see.';

/**
 * The document of an application whose routes are registered (a created app, or one created with `preview: true`,
 * which builds no provider: `scripts/openapi.ts` makes the document that way, without a database).
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('x18 creator social network')
      .setDescription(OPENAPI_DESCRIPTION)
      .setVersion('1')
      // Relative: the document is served by the server it describes.
      .addServer('/')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
    { operationIdFactory: OPERATION_ID },
  );
  refineDocument(document, collectRoutes(app));
  served.set(app, document);
  return document;
}

const served = new WeakMap<INestApplication, OpenAPIObject>();

/** The document `createOpenApiDocument` made for this app (what it serves at `/docs-json`): the tests' hook reads it. */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject | undefined {
  return served.get(app);
}
