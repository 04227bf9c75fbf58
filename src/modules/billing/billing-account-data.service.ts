import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry, keysetItems } from '@/common/account-data/account-data.registry';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { TiersRepository } from './repositories/tiers.repository';
import { RUNNING, SubscriptionSyncService } from './subscription-sync.service';

type SubscriptionRow = {
  id: string;
  stripe_subscription_id: string | null;
  subscriber_id: string;
  creator_id: string;
  status: string;
  cancel_at_period_end: boolean;
};

/**
 * Billing's part in deleting an account: its Stripe subscriptions end (through the Stripe API), its creator price is
 * forgotten, and the payment records (subscriptions, unlocks, the Stripe customer) stay for accounting, pointing at
 * the emptied account. And the export's list.
 */
@Injectable()
export class BillingAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly sync: SubscriptionSyncService,
    private readonly registry: AccountDataRegistry,
    private readonly profiles: BillingProfilesRepository,
    private readonly tiers: TiersRepository,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'billing',
      order: 80,
      onDeleted: async (userId) => {
        await this.endSubscriptionsOf(userId);
        await this.profiles.forgetPrice(userId);
        // No new subscriptions to a deleted creator's tiers; running ones end as above and keep their tier.
        await this.tiers.archiveAllOf(userId);
      },
      export: (userId, sink) => sink.json('subscriptions.json', this.list(userId)),
    });
  }

  /**
   * Subscriptions the user pays are cancelled at once; those to the user as a creator end at the period's end (the
   * subscribers paid for it). Idempotent: ended and already-ending ones are skipped, so a retry repeats nothing.
   */
  async endSubscriptionsOf(userId: string): Promise<{ cancelled: number; ending: number }> {
    const rows = await this.em
      .fork()
      .execute<SubscriptionRow[]>(
        `select id, stripe_subscription_id, subscriber_id, creator_id, status, cancel_at_period_end from subscriptions
          where (subscriber_id = ? or creator_id = ?) and stripe_subscription_id is not null and status in (?)`,
        [userId, userId, [...RUNNING]],
      );
    let cancelled = 0;
    let ending = 0;
    for (const row of rows) {
      if (row.subscriber_id === userId) {
        await this.sync.cancelNow(row.stripe_subscription_id!);
        cancelled++;
      } else if (!row.cancel_at_period_end) {
        await this.sync.cancelAtPeriodEnd(row.stripe_subscription_id!);
        ending++;
      }
    }
    return { cancelled, ending };
  }

  private list(userId: string) {
    type Row = { id: string; side: string; other: string | null; status: string; price_cents: number; currency: string; current_period_end: Date | null; created_at: Date };
    return keysetItems<Row, object>(
      (after) =>
        this.em.fork().execute<Row[]>(
          `select s.id, case when s.subscriber_id = ? then 'subscriber' else 'creator' end as side,
                  u.username as other, s.status, s.price_cents, s.currency, s.current_period_end, s.created_at
             from subscriptions s join users u on u.id = case when s.subscriber_id = ? then s.creator_id else s.subscriber_id end
            where (s.subscriber_id = ? or s.creator_id = ?) ${after ? 'and s.id > ?' : ''} order by s.id limit 500`,
          after ? [userId, userId, userId, userId, after.id] : [userId, userId, userId, userId],
        ),
      (row) => ({
        as: row.side,
        [row.side === 'subscriber' ? 'creator' : 'subscriber']: row.other,
        status: row.status,
        price_cents: row.price_cents,
        currency: row.currency,
        current_period_end: row.current_period_end ? new Date(row.current_period_end).toISOString() : null,
        created_at: new Date(row.created_at).toISOString(),
      }),
    );
  }
}
