/**
 * What the account lifecycle needs from auth, as accounts names it. Auth implements it and the app root binds it
 * (`AccountsModule.forRoot(config, ports)`): auth already uses accounts' mailed tokens at registration, so accounts
 * does not import auth back. See docs/module-boundaries.md.
 */
export interface SessionRevocation {
  /** Ends every session of the user at once (a password reset). */
  revokeAllForUser(userId: string, reason: 'password_reset'): Promise<void>;
}

export const SESSION_REVOCATION = Symbol('SessionRevocation');
