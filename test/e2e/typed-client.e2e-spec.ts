import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOpenApiDocumentOffline } from '@/bootstrap';
import { loadConfig } from '@/common/config/load-config';
import { createX18Client, isProblem } from '../../clients/typescript/src';
import { quickstart } from '../../clients/typescript/examples/quickstart';
import { createUser, PASSWORD } from '../factories/users';
import { useTestApp } from '../support/app';

/** The typed client (clients/typescript) against the real service over a loopback port, and where its types come from. */
describe('Typed client', () => {
  const t = useTestApp({ redisScope: 'typed-client' });
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = `http://127.0.0.1:${await t.listen()}`;
  });

  it('is generated from a document that, built without a server, equals what /docs-json serves', async () => {
    const served = (await t.http.get('/docs-json').expect(200)).body;
    const offline = await buildOpenApiDocumentOffline(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }));
    expect(JSON.parse(JSON.stringify(offline))).toEqual(served);
    // The committed snapshot is the same document (npm run client:check keeps it so in `npm run lint`).
    const committed = JSON.parse(await readFile(join(__dirname, '../../clients/typescript/openapi.json'), 'utf8'));
    expect(Object.keys(committed.paths).sort()).toEqual(Object.keys(served.paths).sort());
  });

  it('runs the example: signs in, posts, and reads the post back on the home timeline', async () => {
    const user = await createUser(t);
    const { post, home } = await quickstart(baseUrl, user.username, PASSWORD);
    expect(post).toMatchObject({ content: 'Hello from the typed client #x18', author: expect.objectContaining({ username: user.username }) });
    expect(home.data.map((p) => p.id)).toContain(post.id);
  });

  it('answers errors as problem+json in `error`, with the status on `response`', async () => {
    const api = createX18Client({ baseUrl, accessToken: () => undefined });
    const home = await api.GET('/api/v1/timelines/home');
    expect(home.data).toBeUndefined();
    expect(home.response.status).toBe(401);
    // `unknown` first: until the document lists a 401 with its problem schema, the type says no error body exists.
    const error: unknown = home.error;
    expect(isProblem(error) ? error.code : error).toBe('unauthorized');

    const signIn = await api.POST('/api/v1/auth/login', { body: { login: 'nobody-here', password: 'wrong-password' } });
    expect(signIn.response.status).toBe(401);
    expect(isProblem(signIn.error)).toBe(true);
  });
});
