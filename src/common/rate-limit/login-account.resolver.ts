import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';

/**
 * The per-account login limit counts the account, not the text typed: a username and its email share one budget.
 * An unknown login is counted under its own text, so probing unknown names is limited too.
 */
@Injectable()
export class LoginAccountResolver {
  constructor(private readonly em: EntityManager) {}

  async key(login: string): Promise<string> {
    const value = login.trim().toLowerCase();
    // Guards run before the validation pipe: a NUL (which PostgreSQL text cannot hold) would fail the query as a 500.
    if (value.includes('\u0000')) return `login:${value}`;
    const [row] = await this.em
      .fork()
      .execute<{ id: string }[]>('select id from users where lower(username) = ? or email = ? limit 1', [value, value]);
    return row ? `user:${row.id}` : `login:${value}`;
  }
}
