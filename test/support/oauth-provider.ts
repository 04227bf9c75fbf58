import { Worker } from 'node:worker_threads';

/** What the provider's userinfo endpoint answers (OpenID Connect standard claims). */
export interface UserinfoClaims {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
  [claim: string]: unknown;
}

/** The token endpoint's successful answer, as the provider issued it. */
export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
}

/**
 * oauth2-mock-server is ESM-only: Node 20 loads it through require(esm), but Jest's module sandbox cannot (neither
 * through `require` nor `createRequire`). So the mock runs in a worker thread, a plain Node context, and the test
 * drives the mock's hooks (`beforeUserinfo`, `beforeResponse`, `beforeTokenSigning`, `beforeAuthorizeRedirect`)
 * through messages. The hooks are synchronous in the mock, so an override is installed in the worker before the
 * request it is meant for.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { OAuth2Server } = require('node:module').createRequire(workerData.from)('oauth2-mock-server');
const server = new OAuth2Server();
const service = server.service;
const issued = [];
const userinfoAuthorizations = [];
// Queued overrides, one per request, so that concurrent sign-ins each get their own.
const userinfoQueue = [];
const tokenQueue = [];
const idTokenQueue = [];
const standing = {
  beforeResponse: (response) => {
    const next = tokenQueue.shift();
    if (next) Object.assign(response, next);
    if (response.statusCode === 200) issued.push(response.body);
  },
  beforeUserinfo: (response, req) => {
    userinfoAuthorizations.push(req.headers.authorization);
    const next = userinfoQueue.shift();
    if (next) Object.assign(response, next);
  },
  beforeTokenSigning: (token) => {
    // The token endpoint signs the access token first, then the id token (the one without \`scope\`).
    if ('scope' in token.payload) return;
    const claims = idTokenQueue.shift();
    if (claims) Object.assign(token.payload, claims);
  },
};
const ops = {
  async start() {
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    server.issuer.url = 'http://127.0.0.1:' + server.address().port;
    for (const [event, listener] of Object.entries(standing)) service.on(event, listener);
    return server.issuer.url;
  },
  nextUserinfo(statusCode, body) {
    userinfoQueue.push({ statusCode, body });
  },
  nextTokenResponse(statusCode, body) {
    tokenQueue.push({ statusCode, body });
  },
  nextIdTokenClaims(claims) {
    idTokenQueue.push(claims);
  },
  nextAuthorizeError(error) {
    service.once('beforeAuthorizeRedirect', (redirect) => {
      redirect.url.searchParams.delete('code');
      redirect.url.searchParams.set('error', error);
    });
  },
  issued: () => issued,
  userinfoAuthorizations: () => userinfoAuthorizations,
  reset() {
    userinfoQueue.length = 0;
    tokenQueue.length = 0;
    idTokenQueue.length = 0;
    for (const event of ['beforeTokenSigning', 'beforeAuthorizeRedirect', 'beforeResponse', 'beforeUserinfo']) {
      service.removeAllListeners(event);
    }
    for (const [event, listener] of Object.entries(standing)) service.on(event, listener);
  },
  stop: () => server.stop(),
};
parentPort.on('message', async ({ id, op, args }) => {
  try {
    parentPort.postMessage({ id, result: await ops[op](...args) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.stack || error) });
  }
});
`;

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** A local OAuth 2.0 / OpenID Connect provider standing in for Google, on 127.0.0.1 with a random port. */
export class OAuthProvider {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    private origin = '',
  ) {
    worker.on('message', ({ id, result, error }: Reply) => {
      const call = this.pending.get(id);
      this.pending.delete(id);
      if (error !== undefined) call?.reject(new Error(`oauth provider: ${error}`));
      else call?.resolve(result);
    });
    worker.on('error', (error) => {
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    });
  }

  static async start(): Promise<OAuthProvider> {
    const provider = new OAuthProvider(new Worker(WORKER, { eval: true, workerData: { from: __filename } }));
    provider.origin = await provider.call<string>('start');
    return provider;
  }

  private call<T = void>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  /** `http://127.0.0.1:<port>`: authorize at `/authorize`, tokens at `/token`, userinfo at `/userinfo`. */
  get url(): string {
    return this.origin;
  }

  /** The app's Google variables pointing at this provider. */
  env(callbackUrl: string): Record<string, string> {
    return {
      GOOGLE_CLIENT_ID: 'test-client-id',
      GOOGLE_CLIENT_SECRET: 'test-client-secret',
      GOOGLE_AUTH_URL: `${this.origin}/authorize`,
      GOOGLE_TOKEN_URL: `${this.origin}/token`,
      GOOGLE_USERINFO_URL: `${this.origin}/userinfo`,
      GOOGLE_CALLBACK_URL: callbackUrl,
    };
  }

  /**
   * The next userinfo request answers exactly these claims (the mock's default is `{ sub: 'johndoe' }`). Calls queue
   * up: each userinfo request takes the oldest.
   */
  nextUserinfo(claims: UserinfoClaims): Promise<void> {
    return this.call('nextUserinfo', 200, claims);
  }

  /** The next userinfo request fails with this status and body. */
  nextUserinfoError(statusCode: number, body: Record<string, unknown> = {}): Promise<void> {
    return this.call('nextUserinfo', statusCode, body);
  }

  /** The next token request fails with this status and OAuth error (e.g. 400 `invalid_grant`). */
  nextTokenError(statusCode: number, error: string): Promise<void> {
    return this.call('nextTokenResponse', statusCode, { error });
  }

  /** The next id token the token endpoint signs carries these claims too (queued like `nextUserinfo`). */
  nextIdTokenClaims(claims: Record<string, unknown>): Promise<void> {
    return this.call('nextIdTokenClaims', claims);
  }

  /** The next authorization request comes back with `error=<error>` instead of a code (e.g. `access_denied`). */
  nextAuthorizeError(error: string): Promise<void> {
    return this.call('nextAuthorizeError', error);
  }

  /** Every successful token endpoint answer so far, oldest first. */
  issued(): Promise<IssuedTokens[]> {
    return this.call('issued');
  }

  /** The `Authorization` header of every userinfo request so far, oldest first. */
  userinfoAuthorizations(): Promise<(string | undefined)[]> {
    return this.call('userinfoAuthorizations');
  }

  /** Drops pending one-shot overrides, so a failed test cannot leak its claims into the next one. */
  reset(): Promise<void> {
    return this.call('reset');
  }

  async stop(): Promise<void> {
    await this.call('stop');
    await this.worker.terminate();
  }
}
