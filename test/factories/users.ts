import { randomBytes } from 'node:crypto';
import { hashPassword } from '@/common/security/password';
import { AuthService } from '@/modules/auth/auth.service';
import { User, UserRole } from '@/modules/users/entities/user.entity';
import type { TestApp } from '../support/app';
import { ISO_UTC } from './http';

/** The password of every factory user. */
export const PASSWORD = 'correct-horse-battery-staple';

/** Argon2id is deliberately slow: one hash per test file, shared by every factory user. */
let cachedHash: Promise<string> | undefined;
function passwordHash(): Promise<string> {
  cachedHash ??= hashPassword(PASSWORD);
  return cachedHash;
}

/** A username no other test of the run uses (the database is shared within a run). */
export function uniqueUsername(prefix = 'u'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`.slice(0, 30);
}

export function emailFor(username: string): string {
  return `${username.toLowerCase()}@example.test`;
}

export interface UserOverrides {
  username?: string;
  email?: string;
  role?: UserRole;
  verified?: boolean;
  emailVerified?: boolean;
  suspended?: boolean;
  displayName?: string | null;
  /** `null`: an account without a password (Google sign-in only). */
  passwordHash?: string | null;
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
}

export interface SignedInUser extends TestUser {
  accessToken: string;
  refreshToken: string;
}

/** Inserts an account straight into the database: no HTTP, no rate limit, and the shared password hash. */
export async function createUser(t: TestApp, overrides: UserOverrides = {}): Promise<TestUser> {
  const username = overrides.username ?? uniqueUsername();
  const em = t.em();
  const user = em.create(User, {
    username,
    email: overrides.email ?? emailFor(username),
    passwordHash: overrides.passwordHash === undefined ? await passwordHash() : overrides.passwordHash,
    displayName: overrides.displayName === undefined ? username : overrides.displayName,
    role: overrides.role ?? 'user',
    verified: overrides.verified ?? false,
    emailVerified: overrides.emailVerified ?? false,
    suspendedAt: overrides.suspended ? new Date() : null,
  });
  await em.flush();
  return { id: user.id, username: user.username, email: user.email, password: PASSWORD };
}

export function createAdmin(t: TestApp, overrides: UserOverrides = {}): Promise<TestUser> {
  return createUser(t, { username: uniqueUsername('adm'), ...overrides, role: 'admin' });
}

/**
 * Opens a session the way a successful sign-in does, without the HTTP round trip (so without spending the login
 * rate limit or an Argon2 verification). Tests of the login route itself go through HTTP.
 */
export async function signIn(t: TestApp, user: TestUser, client: { userAgent?: string; ip?: string } = {}): Promise<SignedInUser> {
  const entity = await t.em().findOneOrFail(User, { id: user.id });
  const answer = await t.app.get(AuthService).signIn(entity, { userAgent: client.userAgent ?? 'factory', ip: client.ip ?? '127.0.0.1' });
  return { ...user, accessToken: answer.access_token, refreshToken: answer.refresh_token };
}

export async function createSignedInUser(t: TestApp, overrides: UserOverrides = {}): Promise<SignedInUser> {
  return signIn(t, await createUser(t, overrides));
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** A valid registration body with unique names; `overrides` replace or add fields. */
export function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const username = uniqueUsername('r');
  return { username, email: emailFor(username), password: PASSWORD, ...overrides };
}

/** The own view of the user object (`GET /me`, auth answers, admin answers). */
export const OWN_USER_KEYS = [
  'id',
  'username',
  'email',
  'email_verified',
  'display_name',
  'bio',
  'avatar_url',
  'cover_url',
  'verified',
  'role',
  'subscription_price_cents',
  'currency',
  'created_at',
  'followers_count',
  'following_count',
  'posts_count',
  'dm_policy',
].sort();

/**
 * The user object of an account nobody has touched yet (no bio, images, price, follows or posts), as `toEqual`
 * expects it; `fields` give the rest (`id`, `username`, `display_name`, and `email` for the own view).
 */
export function freshUserBody(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    bio: null,
    avatar_url: null,
    cover_url: null,
    verified: false,
    role: 'user',
    subscription_price_cents: null,
    currency: 'usd',
    created_at: expect.stringMatching(ISO_UTC),
    followers_count: 0,
    following_count: 0,
    posts_count: 0,
    dm_policy: 'everyone',
    ...fields,
  };
}

/** A public profile as an anonymous viewer sees it: the own view without `email`, `email_verified`, `role` and `dm_policy`. */
export const PUBLIC_USER_KEYS = OWN_USER_KEYS.filter((k) => k !== 'email' && k !== 'email_verified' && k !== 'role' && k !== 'dm_policy');

export const RELATIONSHIP_KEYS = ['following', 'followed_by', 'blocking', 'blocked_by', 'muting', 'subscribed'].sort();

export function keysOf(value: object): string[] {
  return Object.keys(value).sort();
}
