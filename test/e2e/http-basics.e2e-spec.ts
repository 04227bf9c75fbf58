import { useTestApp } from '../support/app';

describe('HTTP basics', () => {
  const t = useTestApp({ env: { BODY_LIMIT_BYTES: '4096' } });

  it('answers an unknown route with problem+json not_found', async () => {
    const res = await t.http.get('/api/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' });
    expect(res.body.type).toBeDefined();
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('answers invalid JSON with problem+json validation_failed', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send('{"login": "a", ')
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('answers an oversized body with payload_too_large', async () => {
    const res = await t.http
      .post('/api/v1/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ login: 'x'.repeat(10_000), password: 'y' }))
      .expect(413);
    expect(res.body).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('answers an unsupported content type with unsupported_media_type', async () => {
    const res = await t.http.post('/api/v1/auth/login').set('content-type', 'application/x-custom').send('hello').expect(415);
    expect(res.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.http.get('/health/live').set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http.get('/health/live').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports liveness and readiness of PostgreSQL and Redis', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  });

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/health/ready']));
    const ui = await t.http.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
  });
});

describe('readiness with Redis down', () => {
  const t = useTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });

  it('answers 503 naming Redis, while liveness stays 200', async () => {
    await t.http.get('/health/live').expect(200);
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.body).toEqual({ status: 'unavailable', checks: { postgres: 'up', redis: 'down' } });
  });
});
