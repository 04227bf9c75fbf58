import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';

/** What the authorization request leaves behind for its callback. */
export interface PendingSignIn {
  code_verifier: string;
  /** Where the app wants its one-time code; null: answer the token pair as JSON. */
  redirect_uri: string | null;
}

/** What `GoogleStartGuard` hands passport as `state` when it starts the flow. */
export interface StartState {
  redirect_uri?: string;
}

type StoreCallback = (error: Error | null, handle?: string) => void;
type VerifyCallback = (error: Error | null, verifier: string | false, state?: PendingSignIn | { message: string }) => void;

const TTL_SECONDS = 10 * 60;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/**
 * passport-oauth2's state store for `state: true, pkce: true`, in Redis instead of a session (there is none): the
 * random `state` handle maps to the PKCE verifier and the app's `redirect_uri` for 10 minutes, and is deleted when
 * the callback reads it, so a state works once. passport-oauth2 picks the PKCE variant of the interface by arity:
 * `store` must take exactly five parameters, `verify` four.
 */
@Injectable()
export class GoogleStateStore {
  constructor(private readonly redis: RedisService) {}

  private key(handle: string): string {
    return this.redis.key('google', 'state', handle);
  }

  store(_req: unknown, verifier: string, state: StartState | undefined, _meta: unknown, callback: StoreCallback): void {
    const handle = randomBytes(32).toString('base64url');
    const pending: PendingSignIn = { code_verifier: verifier, redirect_uri: state?.redirect_uri ?? null };
    this.redis.client.set(this.key(handle), JSON.stringify(pending), 'EX', TTL_SECONDS).then(
      () => callback(null, handle),
      (error: Error) => callback(error),
    );
  }

  verify(_req: unknown, handle: unknown, _meta: unknown, callback: VerifyCallback): void {
    const unknown = { message: 'Unknown, expired or already used state' };
    if (typeof handle !== 'string' || !HANDLE.test(handle)) return callback(null, false, unknown);
    // GETDEL: two callbacks racing with the same state cannot both get the verifier.
    this.redis.client.getdel(this.key(handle)).then(
      (stored) => {
        if (!stored) return callback(null, false, unknown);
        const pending = JSON.parse(stored) as PendingSignIn;
        callback(null, pending.code_verifier, pending);
      },
      (error: Error) => callback(error, false),
    );
  }
}
