import { randomBytes } from 'node:crypto';
import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { AuthGuard, IAuthModuleOptions } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { GoogleAuthErrors } from './google-auth.errors';
import { BROWSER_COOKIE, CallbackState, hashBinding, STATE_TTL_SECONDS, StartState } from './google-state.store';
import { GoogleSignIn, isGoogleConfigured } from './google.strategy';
import { isAllowedRedirect } from './redirect-allowlist';

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The browser binding cookie: HttpOnly, SameSite=Lax (sent on Google's top-level redirect back), Secure over https. */
export function bindingCookie(config: AppConfig, value: string, maxAgeSeconds: number): string {
  const secure = new URL(config.google.callbackUrl).protocol === 'https:' ? '; Secure' : '';
  return `${BROWSER_COOKIE}=${value}; Max-Age=${maxAgeSeconds}; Path=/api/v1/auth/google; HttpOnly; SameSite=Lax${secure}`;
}

/** Where the callback guard leaves the result for the handler. */
export const GOOGLE_SIGN_IN = 'googleSignIn';
export type GoogleCallbackRequest = FastifyRequest & { [GOOGLE_SIGN_IN]?: GoogleSignIn };

/** A single-valued query parameter (a repeated one arrives as an array). */
function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  if (value !== undefined && typeof value !== 'string') throw GoogleAuthErrors.malformedQuery(name);
  return value;
}

/** Error classes of passport-oauth2 and passport-google-oauth20 that mean the provider failed or refused. */
const UPSTREAM_ERRORS = new Set(['TokenError', 'InternalOAuthError', 'UserInfoError', 'GooglePlusAPIError']);
/** Plain errors they raise for an unusable answer. */
const UPSTREAM_MESSAGES = new Set(['Failed to obtain access token', 'Failed to parse user profile']);

/** Resolves once the reply is out (or the client has gone). */
function replied(reply: FastifyReply): Promise<void> {
  return new Promise((resolve) => {
    if (reply.raw.writableEnded) return resolve();
    reply.raw.once('finish', resolve);
    reply.raw.once('close', resolve);
  });
}

/**
 * `GET /auth/google`: checks the request, then lets passport answer it with the redirect to Google's consent page
 * (through the reply's `setHeader`/`end`, see `passport-reply.hook.ts`). Passport never calls back after a redirect,
 * so the guard stops waiting once the reply is out; the handler has nothing left to do.
 */
@Injectable()
export class GoogleStartGuard extends AuthGuard('google') {
  constructor(private readonly config: AppConfig) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const passport = super.canActivate(context) as Promise<boolean>;
    // Should the client leave first, a later failure still has a handler (no unhandled rejection).
    passport.catch(() => undefined);
    await Promise.race([passport, replied(reply)]);
    return true;
  }

  override getAuthenticateOptions(context: ExecutionContext): IAuthModuleOptions & { state: StartState } {
    if (!isGoogleConfigured(this.config)) throw GoogleAuthErrors.notConfigured();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // passport-oauth2 treats any request with a `code` as a callback: that belongs to /auth/google/callback only.
    if (queryParam(request, 'code') !== undefined) throw GoogleAuthErrors.unexpectedCode();
    const redirectUri = queryParam(request, 'redirect_uri');
    if (redirectUri !== undefined && !isAllowedRedirect(redirectUri, this.config.google.redirectAllowlist)) {
      throw GoogleAuthErrors.redirectNotAllowed();
    }
    const codeChallenge = this.codeChallenge(request, redirectUri);
    // Bound to this browser: the callback must come back with the cookie, so a link to someone else's flow fails.
    const binding = randomBytes(32).toString('base64url');
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header('set-cookie', bindingCookie(this.config, binding, STATE_TTL_SECONDS));
    // An object (not a string) `state` makes passport-oauth2 hand it to the state store.
    return { session: false, state: { redirect_uri: redirectUri, code_challenge: codeChallenge, browser: hashBinding(binding) } };
  }

  /** The app's optional PKCE challenge for the one-time code: S256 only, and only with a `redirect_uri`. */
  private codeChallenge(request: FastifyRequest, redirectUri: string | undefined): string | undefined {
    const challenge = queryParam(request, 'code_challenge');
    const method = queryParam(request, 'code_challenge_method');
    if (challenge === undefined) {
      if (method !== undefined) throw GoogleAuthErrors.badChallenge('code_challenge_method needs a code_challenge');
      return undefined;
    }
    if (method !== undefined && method !== 'S256') throw GoogleAuthErrors.badChallenge('code_challenge_method must be S256');
    if (!S256_CHALLENGE.test(challenge)) throw GoogleAuthErrors.badChallenge('code_challenge must be the base64url SHA-256 of the verifier (43 characters)');
    if (redirectUri === undefined) throw GoogleAuthErrors.badChallenge('code_challenge protects the one-time code of a redirect_uri flow: give redirect_uri');
    return challenge;
  }

  /** Starting the flow, passport only redirects (the guard has returned by then) or fails. */
  override handleRequest<T>(error: unknown): T {
    throw error ?? GoogleAuthErrors.upstream();
  }
}

/**
 * `GET /auth/google/callback`: passport checks the state (one use), exchanges the code with the PKCE verifier and
 * reads the userinfo; the guard turns its outcomes into our errors and leaves a `GoogleSignIn` on the request.
 */
@Injectable()
export class GoogleCallbackGuard extends AuthGuard('google') {
  private readonly logger = new Logger(GoogleCallbackGuard.name);

  constructor(private readonly config: AppConfig) {
    super();
  }

  override getAuthenticateOptions(context: ExecutionContext): IAuthModuleOptions {
    if (!isGoogleConfigured(this.config)) throw GoogleAuthErrors.notConfigured();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Google answers `error=access_denied` when the user cancels; without a code, passport would start a new flow.
    if (queryParam(request, 'error') !== undefined) throw GoogleAuthErrors.refused();
    if (!queryParam(request, 'code') || !queryParam(request, 'state')) throw GoogleAuthErrors.invalidState();
    return { session: false, property: GOOGLE_SIGN_IN };
  }

  override handleRequest<T>(error: unknown, user: unknown, info: unknown): T {
    if (error) throw this.translate(error);
    // No user: passport failed the request, which here means the state did not verify.
    if (!user) throw GoogleAuthErrors.invalidState();
    const state = (info as { state?: CallbackState } | undefined)?.state;
    const signIn: GoogleSignIn = {
      ...(user as Omit<GoogleSignIn, 'redirectUri' | 'codeChallenge'>),
      redirectUri: state?.redirect_uri ?? null,
      codeChallenge: state?.code_challenge ?? null,
    };
    return signIn as T;
  }

  /** passport-oauth2 and passport-google-oauth20 errors, told apart by name (their classes are not ours to import). */
  private translate(error: unknown): unknown {
    if (!(error instanceof Error) || error instanceof AppException) return error;
    const code = (error as { code?: unknown }).code;
    if (error.name === 'AuthorizationError') return GoogleAuthErrors.refused();
    if (error.name === 'TokenError' && code === 'invalid_grant') return GoogleAuthErrors.codeRejected();
    // Anything else that is not Google's (Redis down, a bug) is left to the problem filter.
    if (!UPSTREAM_ERRORS.has(error.name) && !UPSTREAM_MESSAGES.has(error.message)) return error;
    this.logger.warn(`Google sign-in failed upstream: ${error.name}${code ? ` ${String(code)}` : ''}${error.message ? `: ${error.message}` : ''}`);
    return GoogleAuthErrors.upstream();
  }
}
