import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { encrypt } from '@/common/security/encryption';
import { AccountTokensService } from '@/modules/accounts/tokens/account-tokens.service';
import { User } from '@/modules/users/entities/user.entity';
import { normalizeEmail } from '@/modules/users/user-identity';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AuthErrors } from '../auth.errors';
import { UserOAuthIdentity } from '../entities/user-oauth-identity.entity';
import { GoogleAuthErrors } from './google-auth.errors';
import { usernameBase, usernameWithDigits } from './google-username';
import { GoogleProfile, GoogleSignIn, GoogleTokens } from './google.strategy';

const PROVIDER = 'google';
const DISPLAY_NAME_MAX = 100;

/** A unique index settled a race between two first sign-ins (same Google account, or the same username). */
function isRace(error: unknown): boolean {
  return error instanceof UniqueConstraintViolationException || (error instanceof AppException && error.code === ErrorCode.Conflict);
}

/**
 * Which account a Google sign-in opens: the one linked to the Google account; else the account with that email,
 * linked now, but only when both sides verified the email: Google (never take over an account on an email Google
 * has not checked) and the account (else whoever registered `victim@…` first, and holds its password, would share
 * the account the victim then signs into: account pre-hijacking); else a new account without a password.
 */
@Injectable()
export class GoogleAccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UserAccountsService,
    private readonly config: AppConfig,
    private readonly tokens: AccountTokensService,
  ) {}

  async resolve(signIn: GoogleSignIn): Promise<User> {
    try {
      return await this.resolveOnce(signIn);
    } catch (error) {
      // The loser of a race finds the winner's rows (or picks another username) on a second try.
      if (!isRace(error)) throw error;
      return this.resolveOnce(signIn);
    }
  }

  /** The account a one-time sign-in code was issued for; undefined when it no longer exists. */
  async findUser(userId: string): Promise<User | undefined> {
    return this.users.findById(userId);
  }

  /**
   * A suspended account is refused before anything is written: the transaction rolls back. Linking a Google account
   * changes who controls the account: every link mailed to it (a pending email change, a reset) stops working.
   */
  private resolveOnce({ profile, tokens }: GoogleSignIn): Promise<User> {
    return this.em.fork().transactional(async (em) => {
      const identity = await em.getRepository(UserOAuthIdentity).findByProviderUserId(PROVIDER, profile.sub);
      const user = identity ? await identity.user.loadOrFail() : await this.findOrCreateUser(em, profile);
      if (user.suspendedAt) throw AuthErrors.suspended();
      if (!identity) await this.tokens.voidAll(em, user.id);
      const row = identity ?? em.create(UserOAuthIdentity, { user, provider: PROVIDER, providerUserId: profile.sub });
      this.storeTokens(row, profile, tokens);
      await em.flush();
      return user;
    });
  }

  private async findOrCreateUser(em: EntityManager, profile: GoogleProfile): Promise<User> {
    if (!profile.email) throw GoogleAuthErrors.noEmail();
    const email = normalizeEmail(profile.email);
    const existing = await this.users.findByEmail(em, email);
    if (existing) {
      if (!profile.emailVerified) throw GoogleAuthErrors.unverifiedEmail();
      if (!existing.emailVerified) throw GoogleAuthErrors.unverifiedLocalEmail();
      return existing;
    }
    return this.users.create(em, {
      username: await this.freeUsername(em, profile),
      email,
      passwordHash: null,
      // Counted in code points, as PostgreSQL counts varchar(100).
      displayName: profile.name && Array.from(profile.name).slice(0, DISPLAY_NAME_MAX).join(''),
      // Our `verified` is the blue check, not a verified email.
      verified: false,
      emailVerified: profile.emailVerified,
    });
  }

  /** The derived name if it is free (case-insensitively), else the first free one with random digits appended. */
  private async freeUsername(em: EntityManager, profile: GoogleProfile): Promise<string> {
    const base = usernameBase(profile);
    const candidates = [base, ...[4, 4, 4, 6, 6, 6, 8, 8].map((digits) => usernameWithDigits(base, digits))];
    const takenLower = await this.users.takenUsernames(em, candidates);
    const free = candidates.find((candidate) => !takenLower.has(candidate.toLowerCase()));
    if (!free) throw new Error(`no free username found for "${base}"`);
    return free;
  }

  /** Provider tokens are stored encrypted (AES-256-GCM under ENCRYPTION_KEY), never in plain text. */
  private storeTokens(identity: UserOAuthIdentity, profile: GoogleProfile, tokens: GoogleTokens): void {
    const key = this.config.auth.encryptionKey;
    if (profile.email) identity.email = normalizeEmail(profile.email);
    identity.accessToken = encrypt(tokens.accessToken, key);
    // Google sends a refresh token only on the first consent: keep the stored one otherwise.
    if (tokens.refreshToken) identity.refreshToken = encrypt(tokens.refreshToken, key);
    identity.expiresAt = tokens.expiresAt ?? null;
  }
}
