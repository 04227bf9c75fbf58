import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { KnownClients, LoginClient } from './known-clients';

/**
 * The per-account login limit counts the account, not the text typed: a username and its email share one budget.
 * An unknown login is counted under its own text, so probing unknown names is limited too. An address and device the
 * account signed in from before (KnownClients) counts in a budget of its own: failures from anywhere else spend the
 * account's budget, not the owner's (issue 23, N13).
 */
@Injectable()
export class LoginAccountResolver {
  constructor(
    private readonly em: EntityManager,
    private readonly known: KnownClients,
  ) {}

  async key(login: string, client?: LoginClient): Promise<string> {
    const value = login.trim().toLowerCase();
    // Guards run before the validation pipe: a NUL (which PostgreSQL text cannot hold) would fail the query as a 500.
    if (value.includes('\u0000')) return `login:${value}`;
    const [row] = await this.em
      .fork()
      .execute<{ id: string }[]>('select id from users where lower(username) = ? or email = ? limit 1', [value, value]);
    return row ? this.forUser(row.id, client) : `login:${value}`;
  }

  /** The account's budget, or that of this address and device when the account signed in from it before. */
  async forUser(userId: string, client?: LoginClient): Promise<string> {
    if (client && (await this.known.isKnown(userId, client))) return `user:${userId}:client:${this.known.fingerprint(client)}`;
    return `user:${userId}`;
  }
}
