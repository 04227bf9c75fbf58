import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry, keysetItems } from '@/common/account-data/account-data.registry';

type Row = { id: string; stripe_account_id: string; charges_enabled: boolean; payouts_enabled: boolean; created_at: Date; deauthorized_at: Date | null };

/**
 * Payouts' part in an account export: the user's Stripe accounts (`payouts.json`). Nothing is erased: the account
 * records stay for accounting, and the Stripe account itself is the creator's, with its own dashboard at Stripe.
 */
@Injectable()
export class PayoutsAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'payouts', order: 85, export: (userId, sink) => sink.json('payouts.json', this.list(userId)) });
  }

  private list(userId: string) {
    return keysetItems<Row, object>(
      (after) =>
        this.em
          .fork()
          .execute<Row[]>(
            `select id, stripe_account_id, charges_enabled, payouts_enabled, created_at, deauthorized_at from payout_accounts
              where user_id = ? ${after ? 'and id > ?' : ''} order by id limit 100`,
            after ? [userId, after.id] : [userId],
          ),
      (row) => ({
        stripe_account_id: row.stripe_account_id,
        charges_enabled: row.charges_enabled,
        payouts_enabled: row.payouts_enabled,
        connected_at: new Date(row.created_at).toISOString(),
        disconnected_at: row.deauthorized_at ? new Date(row.deauthorized_at).toISOString() : null,
      }),
    );
  }
}
