/**
 * What the account lifecycle needs from auth, as accounts names it. Auth implements it and the app root binds it
 * (`AccountsModule.forRoot(config, ports)`): auth already uses accounts' mailed tokens at registration, so accounts
 * does not import auth back. See docs/module-boundaries.md.
 */
export interface SessionRevocation {
  /** Ends every session of the user at once (a password reset, a deletion). */
  revokeAllForUser(userId: string, reason: 'password_reset' | 'deleted'): Promise<void>;
}

export const SESSION_REVOCATION = Symbol('SessionRevocation');

/** When a session signed in, for actions that ask a Google-only account (no password to confirm) for a recent sign-in. */
export interface SignInRecency {
  /** The sign-in time of a live session of `userId` (a refresh keeps it); undefined when there is no such session. */
  signedInAt(userId: string, sessionId: string): Promise<Date | undefined>;
}

export const SIGN_IN_RECENCY = Symbol('SignInRecency');
