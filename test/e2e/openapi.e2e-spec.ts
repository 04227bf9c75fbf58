import { createSignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { ResponseContract } from '../support/openapi-contract';

/**
 * The OpenAPI document (`/docs-json`) says what the service really answers (docs/openapi.md), and the hook that
 * checks every e2e answer against it (`test/support/openapi-contract.ts`) catches what it does not describe.
 */

interface Schema {
  type?: string;
  format?: string;
  nullable?: boolean;
  minLength?: number;
  pattern?: string;
  additionalProperties?: boolean;
  properties?: Record<string, Schema>;
  items?: Schema;
  $ref?: string;
}
interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: Record<string, string[]>[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

describe('OpenAPI document', () => {
  const t = useTestApp({ redisScope: 'openapi' });
  let doc: Document;
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, path, method, op })));
  const op = (method: string, path: string) => doc.paths[path][method];
  const schema = (name: string) => doc.components.schemas[name];

  beforeAll(async () => {
    doc = (await t.http.get('/docs-json').expect(200)).body as Document;
  });

  it('lists on every operation the error statuses it can answer, each a problem', () => {
    const missing: string[] = [];
    for (const { key, path, method, op: operation } of operations()) {
      const want = ['401', '503'];
      if (operation.parameters?.some((p) => p.in !== 'header') || operation.requestBody) want.push('400');
      if (/\{(id|username)\}/.test(path)) want.push('404');
      if (['post', 'put', 'patch', 'delete'].includes(method)) want.push('413', '415');
      for (const status of want) if (!operation.responses[status]) missing.push(`${key} ${status}`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && response.content?.['application/problem+json']?.schema.$ref !== '#/components/schemas/Problem') {
          missing.push(`${key} ${status} without the Problem schema`);
        }
      }
    }
    expect(missing).toEqual([]);
    // Statuses that follow from a route's decorators: roles, rate limits, the idempotency interceptor.
    expect(Object.keys(op('get', '/api/v1/admin/audit-log').responses)).toContain('403');
    expect(Object.keys(op('post', '/api/v1/auth/login').responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
    expect(Object.keys(op('post', '/api/v1/posts').responses)).toEqual(expect.arrayContaining(['409', '422', '429']));
    expect(Object.keys(op('post', '/api/v1/webhooks/stripe').responses)).toEqual(expect.arrayContaining(['400', '503']));
  });

  it('says "token optional" on public routes and "token required" elsewhere', () => {
    const optional = [{}, { bearer: [] }];
    for (const [method, path] of [
      ['get', '/api/v1/posts/{id}'],
      ['get', '/api/v1/posts/{id}/likes'],
      ['get', '/api/v1/users/{username}'],
      ['get', '/api/v1/tags/{tag}/posts'],
      ['get', '/api/v1/timelines/public'],
      ['get', '/api/v1/referral-codes/{code}'],
    ]) {
      expect({ path, security: op(method, path).security }).toEqual({ path, security: optional });
    }
    expect(op('get', '/api/v1/me').security).toEqual([{ bearer: [] }]);
    expect(op('get', '/api/v1/timelines/home').security).toEqual([{ bearer: [] }]);
    expect(operations().filter(({ op: o }) => !o.security?.length)).toEqual([]);
  });

  it('types what the validators enforce: nullable fields, integers, constraints, closed bodies', () => {
    const me = schema('UpdateMeDto').properties!;
    expect(me.bio).toMatchObject({ type: 'string', nullable: true, maxLength: 500 });
    expect(me.display_name).toMatchObject({ type: 'string', nullable: true });
    expect(me.avatar_media_id).toMatchObject({ type: 'string', format: 'uuid', nullable: true });
    expect(me.subscription_price_cents).toMatchObject({ type: 'integer', nullable: true });
    expect(schema('CreateReferralCodeDto').properties!.max_uses).toMatchObject({ type: 'integer', nullable: true });
    expect(schema('CreateReferralCodeDto').properties!.expires_at).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(schema('UpdateMediaDto').properties!.alt_text).toMatchObject({ type: 'string', nullable: true });
    expect(schema('LoginDto').properties!.login).toMatchObject({ minLength: 1 });
    expect(schema('GoogleExchangeDto').properties!.code).toMatchObject({ minLength: 1 });
    expect(schema('MarkReadDto').properties!.ids.items).toMatchObject({ type: 'string', format: 'uuid' });
    const limits = operations().flatMap(({ op: o }) => (o.parameters ?? []).filter((p) => p.name === 'limit').map((p) => p.schema?.type));
    expect(new Set(limits)).toEqual(new Set(['integer']));
    const bodies = operations().flatMap(({ key, op: o }) => {
      const ref = o.requestBody?.content['application/json']?.schema.$ref;
      return ref ? [[key, schema(ref.split('/').pop()!).additionalProperties]] : [];
    });
    expect(bodies.filter(([, closed]) => closed !== false)).toEqual([]);
    const idempotencyKey = op('post', '/api/v1/posts').parameters!.find((p) => p.name === 'Idempotency-Key')!;
    expect(new RegExp(idempotencyKey.schema!.pattern!).test('key-1')).toBe(true);
    expect(new RegExp(idempotencyKey.schema!.pattern!).test('two words')).toBe(false);
  });

  it('lists each parameter once (headers case-insensitively) and only the contract name `types[]`', () => {
    const twice = operations().flatMap(({ key, op: o }) => {
      const names = (o.parameters ?? []).map((p) => `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`);
      return names.filter((name, i) => names.indexOf(name) !== i).map((name) => `${key} ${name}`);
    });
    expect(twice).toEqual([]);
    expect(op('get', '/api/v1/notifications').parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['types[]']));
    expect(op('get', '/api/v1/notifications').parameters!.map((p) => p.name)).not.toContain('types');
  });
});

describe('response-validation hook', () => {
  const t = useTestApp({ redisScope: 'openapi-hook' });
  let contract: ResponseContract;
  const problem = (status: number, code: string) => JSON.stringify({ type: 'about:blank', title: 'x', status, detail: 'x', code });

  beforeAll(async () => {
    contract = new ResponseContract((await t.http.get('/docs-json').expect(200)).body);
  });

  it('passes what the document describes', () => {
    const at = { method: 'GET', url: '/api/v1/posts/0191d1f0-0000-7000-8000-000000000000', route: '/api/v1/posts/:id' };
    expect(contract.check({ ...at, status: 404, contentType: 'application/problem+json; charset=utf-8', body: problem(404, 'not_found') })).toBeUndefined();
    expect(contract.check({ method: 'GET', url: '/api/v1/nothing-here', status: 404, contentType: 'application/problem+json', body: problem(404, 'not_found') })).toBeUndefined();
    expect(contract.check({ method: 'GET', url: '/metrics', status: 200, contentType: 'text/plain', body: '# HELP' })).toBeUndefined();
    expect(contract.check({ method: 'GET', url: '/health/live', route: '/health/live', status: 200, contentType: 'application/json', body: '{"status":"ok"}' })).toBeUndefined();
  });

  it('refuses an undocumented status, content type or body, and a route the document does not know', () => {
    const at = { method: 'GET', url: '/health/live', route: '/health/live' };
    expect(contract.check({ ...at, status: 418, contentType: 'application/json', body: '{}' })).toMatch(/status 418 is not documented/);
    expect(contract.check({ ...at, status: 200, contentType: 'text/html', body: '<p>' })).toMatch(/content type text\/html is not documented/);
    expect(contract.check({ ...at, status: 200, contentType: 'application/json', body: '{"status":"fine"}' })).toMatch(/does not match/);
    // Closed objects: a field the document does not list is a mismatch.
    expect(contract.check({ ...at, status: 200, contentType: 'application/json', body: '{"status":"ok","extra":1}' })).toMatch(/additional properties \(extra\)/);
    expect(contract.check({ ...at, status: 503, contentType: 'application/problem+json', body: '{"status":503}' })).toMatch(/does not match/);
    expect(contract.check({ method: 'GET', url: '/api/v1/secret', status: 200, contentType: 'application/json', body: '{}' })).toMatch(/no operation documents/);
  });

  it('fails the test that received an answer the document does not describe', async () => {
    const user = await createSignedInUser(t);
    await t.http.get('/api/v1/me').set('authorization', `Bearer ${user.accessToken}`).expect(200);
    expect(() => t.contract.assertClean()).not.toThrow();
    t.contract.observe({ method: 'GET', url: '/api/v1/me', route: '/api/v1/me', status: 200, contentType: 'application/json', body: '{"id":1}' });
    const saved = process.env.OPENAPI_CONTRACT_REPORT;
    delete process.env.OPENAPI_CONTRACT_REPORT;
    try {
      expect(() => t.contract.assertClean()).toThrow(/1 response\(s\) the OpenAPI document does not describe:[\s\S]*GET \/api\/v1\/me → 200/);
    } finally {
      if (saved !== undefined) process.env.OPENAPI_CONTRACT_REPORT = saved;
    }
    // Reported once: the next check starts clean.
    expect(() => t.contract.assertClean()).not.toThrow();
  });
});
