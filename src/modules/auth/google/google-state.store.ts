import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';

/** What `GoogleStartGuard` hands passport as `state` when it starts the flow. */
export interface StartState {
  redirect_uri?: string;
  /** The app's PKCE challenge (S256) for the one-time code; checked by POST /auth/google/exchange. */
  code_challenge?: string;
  /** Hash of the random value in the starting browser's binding cookie. */
  browser: string;
}

/** What the callback learns from its state: where the app wants its one-time code (null: answer JSON). */
export interface CallbackState {
  redirect_uri: string | null;
  code_challenge: string | null;
}

interface PendingSignIn extends CallbackState {
  code_verifier: string;
  browser: string;
}

/** The cookie that binds a sign-in to the browser that started it (login CSRF: a victim finishing an attacker's flow). */
export const BROWSER_COOKIE = 'x18_google_signin';

export function hashBinding(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** The binding cookie's value from a Cookie header, if present and well-formed. */
export function bindingFromCookies(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === BROWSER_COOKIE && HANDLE.test(value.join('='))) return value.join('=');
  }
  return undefined;
}

function sameHash(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

type StoreCallback = (error: Error | null, handle?: string) => void;
type VerifyCallback = (error: Error | null, verifier: string | false, state?: CallbackState | { message: string }) => void;

export const STATE_TTL_SECONDS = 10 * 60;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
const UNKNOWN = { message: 'Unknown, expired or already used state' };

/**
 * passport-oauth2's state store for `state: true, pkce: true`, kept in Redis since there is no session: the random
 * `state` handle maps to the PKCE verifier, the app's `redirect_uri` and `code_challenge`, and the hash of the
 * browser binding cookie, for 10 minutes; it is deleted when the callback reads it, so a state works once, and only
 * in the browser that started the flow. passport-oauth2 picks the PKCE form of the interface by arity: `store`
 * must declare exactly five parameters and `verify` four.
 */
@Injectable()
export class GoogleStateStore {
  private readonly logger = new Logger(GoogleStateStore.name);

  constructor(private readonly redis: RedisService) {}

  private key(handle: string): string {
    return this.redis.key('google', 'state', handle);
  }

  store(_req: unknown, verifier: string, state: StartState | undefined, _meta: unknown, callback: StoreCallback): void {
    const handle = randomBytes(32).toString('base64url');
    if (!state?.browser) return callback(new Error('a sign-in must be bound to its browser'));
    const pending: PendingSignIn = {
      code_verifier: verifier,
      redirect_uri: state.redirect_uri ?? null,
      code_challenge: state.code_challenge ?? null,
      browser: state.browser,
    };
    this.settle(
      this.redis.client.set(this.key(handle), JSON.stringify(pending), 'EX', STATE_TTL_SECONDS),
      () => callback(null, handle),
      (error) => callback(error),
    );
  }

  verify(req: { headers?: { cookie?: string } }, handle: unknown, _meta: unknown, callback: VerifyCallback): void {
    if (typeof handle !== 'string' || !HANDLE.test(handle)) return callback(null, false, UNKNOWN);
    const binding = bindingFromCookies(req.headers?.cookie);
    // GETDEL: of two callbacks racing with the same state, only one gets the verifier.
    this.settle(
      this.redis.client.getdel(this.key(handle)),
      (stored) => {
        if (!stored) return callback(null, false, UNKNOWN);
        const pending = JSON.parse(stored) as PendingSignIn;
        // Another browser (no cookie, or another flow's) is answered like an unknown state; the state is spent.
        if (!binding || !sameHash(hashBinding(binding), pending.browser)) return callback(null, false, UNKNOWN);
        callback(null, pending.code_verifier, { redirect_uri: pending.redirect_uri, code_challenge: pending.code_challenge });
      },
      (error) => callback(error, false),
    );
  }

  /** Hands a Redis result to passport's callback; a throw from passport itself is logged, not taken for Redis's. */
  private settle<T>(pending: Promise<T>, done: (value: T) => void, failed: (error: Error) => void): void {
    pending.then(done, failed).catch((error: Error) => this.logger.error({ err: error }, 'passport state callback failed'));
  }
}
