import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { RedisService } from '@/common/redis/redis.service';

/** What `GoogleStartGuard` hands passport as `state` when it starts the flow. */
export interface StartState {
  redirect_uri?: string;
}

/** What the callback learns from its state: where the app wants its one-time code (null: answer JSON). */
export interface CallbackState {
  redirect_uri: string | null;
}

interface PendingSignIn extends CallbackState {
  code_verifier: string;
}

type StoreCallback = (error: Error | null, handle?: string) => void;
type VerifyCallback = (error: Error | null, verifier: string | false, state?: CallbackState | { message: string }) => void;

const TTL_SECONDS = 10 * 60;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
const UNKNOWN = { message: 'Unknown, expired or already used state' };

/**
 * passport-oauth2's state store for `state: true, pkce: true`, kept in Redis since there is no session: the random
 * `state` handle maps to the PKCE verifier and the app's `redirect_uri` for 10 minutes, and is deleted when the
 * callback reads it, so a state works once. passport-oauth2 picks the PKCE form of the interface by arity: `store`
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
    const pending: PendingSignIn = { code_verifier: verifier, redirect_uri: state?.redirect_uri ?? null };
    this.settle(
      this.redis.client.set(this.key(handle), JSON.stringify(pending), 'EX', TTL_SECONDS),
      () => callback(null, handle),
      (error) => callback(error),
    );
  }

  verify(_req: unknown, handle: unknown, _meta: unknown, callback: VerifyCallback): void {
    if (typeof handle !== 'string' || !HANDLE.test(handle)) return callback(null, false, UNKNOWN);
    // GETDEL: of two callbacks racing with the same state, only one gets the verifier.
    this.settle(
      this.redis.client.getdel(this.key(handle)),
      (stored) => {
        if (!stored) return callback(null, false, UNKNOWN);
        const pending = JSON.parse(stored) as PendingSignIn;
        callback(null, pending.code_verifier, { redirect_uri: pending.redirect_uri });
      },
      (error) => callback(error, false),
    );
  }

  /** Hands a Redis result to passport's callback; a throw from passport itself is logged, not taken for Redis's. */
  private settle<T>(pending: Promise<T>, done: (value: T) => void, failed: (error: Error) => void): void {
    pending.then(done, failed).catch((error: Error) => this.logger.error({ err: error }, 'passport state callback failed'));
  }
}
