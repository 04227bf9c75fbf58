/**
 * A typed client for the x18 REST API: `openapi-fetch` over the types `openapi-typescript` generated from the
 * service's OpenAPI document (`schema.d.ts`). Paths, parameters, bodies and answers are checked by the compiler.
 *
 *   const api = createX18Client({ baseUrl: 'https://api.example.com', accessToken: () => session?.access_token });
 *   const { data, error, response } = await api.GET('/api/v1/posts/{id}', { params: { path: { id } } });
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, operations, paths } from './schema';

/** Every schema of the document by name: `Schemas['PostResponse']`, `Schemas['CreatePostDto']`… */
export type Schemas = components['schemas'];

export type X18Client = Client<paths>;

/** How every error answers (RFC 9457 problem details, `application/problem+json`); match on `code`, never `detail`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; message: string }[];
  request_id?: string;
}

export interface X18ClientOptions {
  /** The service's origin, without `/api/v1` (the paths carry it): `https://api.example.com`. */
  baseUrl: string;
  /** The access token to send as `Authorization: Bearer`, read before each request (so a refreshed one is used). */
  accessToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** Another `fetch` (tests, React Native polyfills, a fetch with retries); the global one by default. */
  fetch?: ClientOptions['fetch'];
  /** Headers for every request (`User-Agent`, `Accept-Language`…). */
  headers?: ClientOptions['headers'];
}

export function createX18Client(options: X18ClientOptions): X18Client {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: options.fetch, headers: options.headers });
  const { accessToken } = options;
  if (accessToken) {
    const bearer: Middleware = {
      async onRequest({ request }) {
        const token = await accessToken();
        if (token && !request.headers.has('authorization')) request.headers.set('authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

/** Whether an `error` an operation answered is a problem+json body (every error of the service is). */
export function isProblem(error: unknown): error is Problem {
  return typeof error === 'object' && error !== null && typeof (error as Problem).code === 'string' && typeof (error as Problem).status === 'number';
}
