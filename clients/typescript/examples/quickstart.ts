/**
 * Sign in, post, read the home timeline: the typed client in a few lines.
 *
 *   X18_URL=http://localhost:3000 X18_LOGIN=admin X18_PASSWORD=… \
 *     node -r ./test/support/ts-register.js clients/typescript/examples/quickstart.ts
 *
 * (From the repository root; an app compiles it with its own TypeScript setup.)
 */
import { createX18Client, isProblem, type Schemas } from '../src';

export async function quickstart(baseUrl: string, login: string, password: string): Promise<{ post: Schemas['PostResponse']; home: Schemas['PostPageResponse'] }> {
  // Read before every request: where an app keeps its session (memory, secure storage) is its own choice.
  const session: { accessToken?: string } = {};
  const api = createX18Client({ baseUrl, accessToken: () => session.accessToken });

  const signIn = await api.POST('/api/v1/auth/login', { body: { login, password } });
  if (!signIn.data) throw new Error(`sign-in failed: ${signIn.response.status} ${describe(signIn.error)}`);
  session.accessToken = signIn.data.access_token;

  // An Idempotency-Key makes the post safe to retry: a repeat within 24 h answers the first response.
  const created = await api.POST('/api/v1/posts', {
    params: { header: { 'Idempotency-Key': crypto.randomUUID() } },
    body: { content: 'Hello from the typed client #x18', visibility: 'public' },
  });
  if (!created.data) throw new Error(`posting failed: ${created.response.status} ${describe(created.error)}`);

  const home = await api.GET('/api/v1/timelines/home', { params: { query: { limit: 20 } } });
  if (!home.data) throw new Error(`reading the home timeline failed: ${home.response.status} ${describe(home.error)}`);
  return { post: created.data, home: home.data };
}

function describe(error: unknown): string {
  return isProblem(error) ? `${error.code}: ${error.detail}` : JSON.stringify(error ?? null);
}

if (require.main === module) {
  const { X18_URL = 'http://localhost:3000', X18_LOGIN, X18_PASSWORD } = process.env;
  if (!X18_LOGIN || !X18_PASSWORD) {
    console.error('set X18_LOGIN and X18_PASSWORD (and X18_URL, default http://localhost:3000)');
    process.exit(2);
  }
  quickstart(X18_URL, X18_LOGIN, X18_PASSWORD).then(
    ({ post, home }) => {
      console.log(`posted ${post.id}: ${post.content}`);
      for (const item of home.data) console.log(`${item.created_at}  @${item.author.username}: ${item.content ?? '(locked)'}`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
