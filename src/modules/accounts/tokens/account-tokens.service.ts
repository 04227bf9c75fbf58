import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { User } from '@/modules/users/entities/user.entity';
import { AccountToken, TokenPurpose } from '../entities/account-token.entity';

/** How long a mailed token works. */
export const TOKEN_TTL_SECONDS: Record<TokenPurpose, number> = {
  verify_email: 24 * 3600,
  change_email: 24 * 3600,
  reset_password: 3600,
};

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface ConsumedToken {
  userId: string;
  email: string | null;
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Mailed tokens: 256 random bits, URL-safe; only their SHA-256 is stored; single use; a newer one voids the older. */
@Injectable()
export class AccountTokensService {
  /** Issues a token in the caller's transaction and answers it (the only time it exists in clear). */
  async issue(em: EntityManager, userId: string, purpose: TokenPurpose, email: string | null = null): Promise<string> {
    await em.nativeUpdate(AccountToken, { user: userId, purpose, usedAt: null }, { usedAt: new Date() });
    const token = randomBytes(32).toString('base64url');
    em.create(AccountToken, {
      user: em.getReference(User, userId),
      purpose,
      tokenHash: hashOf(token),
      email,
      expiresAt: new Date(Date.now() + TOKEN_TTL_SECONDS[purpose] * 1000),
    });
    await em.flush();
    return token;
  }

  /**
   * Uses a token once, in the caller's transaction: one conditional UPDATE, so two requests racing with the same
   * token cannot both win. Undefined for an unknown, used or expired token.
   */
  async consume(em: EntityManager, purposes: TokenPurpose[], token: string): Promise<(ConsumedToken & { purpose: TokenPurpose }) | undefined> {
    if (!TOKEN_PATTERN.test(token)) return undefined;
    const [row] = await em.execute<{ user_id: string; email: string | null; purpose: TokenPurpose }[]>(
      `update account_tokens set used_at = now()
        where token_hash = ? and purpose in (?) and used_at is null and expires_at > now()
        returning user_id, email, purpose`,
      [hashOf(token), purposes],
    );
    return row ? { userId: row.user_id, email: row.email, purpose: row.purpose } : undefined;
  }

  /**
   * Every outstanding token of the user, of every purpose, stops working; called in the transaction of every change
   * of who controls the account: a password set, reset or changed, an address verified or changed, Google linked,
   * and the deletion. A token mailed before such a change (a pending email change asked by whoever registered the
   * address, a reset link sent to the old address) belongs to the old state of the account: see docs/security.md.
   */
  async voidAll(em: EntityManager, userId: string): Promise<void> {
    await em.nativeUpdate(AccountToken, { user: userId, usedAt: null }, { usedAt: new Date() });
  }
}
