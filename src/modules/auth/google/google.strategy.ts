import { PassportStrategy } from '@nestjs/passport';
import { Profile, Strategy, StrategyOptions } from 'passport-google-oauth20';
import { AppConfig } from '@/common/config/app-config';
import { GoogleAuthErrors } from './google-auth.errors';
import { GoogleStateStore } from './google-state.store';

/** The userinfo claims we use (OpenID Connect standard claims). */
export interface GoogleProfile {
  sub: string;
  email?: string;
  /** Only a literal `true` from Google counts. */
  emailVerified: boolean;
  name?: string;
  picture?: string;
}

export interface GoogleTokens {
  accessToken: string;
  /** Google sends one only on the first consent (and only for offline access). */
  refreshToken?: string;
  expiresAt?: Date;
}

/** What a successful callback yields; `redirectUri` and `codeChallenge` come from the state stored when the flow started. */
export interface GoogleSignIn {
  profile: GoogleProfile;
  tokens: GoogleTokens;
  redirectUri: string | null;
  codeChallenge: string | null;
}

interface TokenResponse {
  expires_in?: number | string;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function isGoogleConfigured(config: AppConfig): boolean {
  return Boolean(config.google.clientId && config.google.clientSecret);
}

/**
 * passport-google-oauth20 against the configured endpoints (Google's by default), with `state` and PKCE (S256)
 * kept by `GoogleStateStore`. `validate` only reads the profile; accounts are `GoogleAccountsService`'s business.
 * Registered only when Google is configured (see `google-auth.providers.ts`).
 */
export class GoogleStrategy extends PassportStrategy(Strategy, 'google', 5) {
  constructor(config: AppConfig, stateStore: GoogleStateStore) {
    const google = config.google;
    super({
      clientID: google.clientId!,
      clientSecret: google.clientSecret!,
      callbackURL: google.callbackUrl,
      authorizationURL: google.authUrl,
      tokenURL: google.tokenUrl,
      userProfileURL: google.userInfoUrl,
      scope: ['openid', 'email', 'profile'],
      state: true,
      pkce: true,
      // passport-oauth2's typings only know the session stores' signatures, not the PKCE store's five-argument one.
      store: stateStore as unknown as StrategyOptions['store'],
    });
    // The userinfo request carries the access token in the Authorization header, not in the URL (RFC 6750 §2.1).
    this._oauth2.useAuthorizationHeaderforGET(true);
  }

  validate(accessToken: string, refreshToken: string | undefined, params: TokenResponse, profile: Profile): Omit<GoogleSignIn, 'redirectUri' | 'codeChallenge'> {
    const claims = profile._json as unknown as Record<string, unknown>;
    const sub = optionalString(claims.sub);
    if (!sub) throw GoogleAuthErrors.upstream();
    const expiresIn = Number(params.expires_in);
    return {
      profile: {
        sub,
        email: optionalString(claims.email),
        emailVerified: claims.email_verified === true,
        name: optionalString(claims.name),
        picture: optionalString(claims.picture),
      },
      tokens: {
        accessToken,
        refreshToken: optionalString(refreshToken),
        expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : undefined,
      },
    };
  }
}
