import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { BillingProfile } from '../entities/billing-profile.entity';

/** A user's Stripe references as billing uses them: where none is stored yet, the row is created with the first. */
export interface StripeRefs {
  customerId: string | null;
  productId: string | null;
  priceId: string | null;
  priceCents: number | null;
}

type Row = { stripe_customer_id: string | null; stripe_product_id: string | null; stripe_price_id: string | null; stripe_price_cents: number | null };

export class BillingProfilesRepository extends EntityRepository<BillingProfile> {
  async refsOf(userId: string): Promise<StripeRefs> {
    const [row] = await this.getEntityManager().execute<Row[]>(
      'select stripe_customer_id, stripe_product_id, stripe_price_id, stripe_price_cents from billing_profiles where user_id = ?',
      [userId],
    );
    return { customerId: row?.stripe_customer_id ?? null, productId: row?.stripe_product_id ?? null, priceId: row?.stripe_price_id ?? null, priceCents: row?.stripe_price_cents ?? null };
  }

  /**
   * Stores the customer unless one is stored (racing checkouts got the same customer from Stripe under one idempotency
   * key): the first stored wins, and the stored one is answered.
   */
  recordCustomer(userId: string, customerId: string): Promise<string> {
    return this.storeFirst(userId, 'stripe_customer_id', customerId);
  }

  /** Stores the creator's product unless one is stored; the stored one is answered. */
  recordProduct(userId: string, productId: string): Promise<string> {
    return this.storeFirst(userId, 'stripe_product_id', productId);
  }

  private async storeFirst(userId: string, column: 'stripe_customer_id' | 'stripe_product_id', value: string): Promise<string> {
    const [row] = await this.getEntityManager().execute<Record<typeof column, string>[]>(
      `insert into billing_profiles (user_id, ${column}, created_at, updated_at) values (?, ?, now(), now())
       on conflict (user_id) do update set ${column} = coalesce(billing_profiles.${column}, excluded.${column}), updated_at = now()
       returning ${column}`,
      [userId, value],
    );
    return row[column];
  }

  /**
   * The price of `cents` a month becomes the creator's: the last stored wins. It is used only while `cents` is the
   * creator's amount (`users.subscription_price_cents`), so a price stored by a request that lost a race to another
   * amount is never charged; the next checkout prices the current amount (Stripe answers the same price to the same
   * idempotency key).
   */
  async recordPrice(userId: string, cents: number, priceId: string): Promise<void> {
    await this.getEntityManager().execute(
      `insert into billing_profiles (user_id, stripe_price_id, stripe_price_cents, created_at, updated_at) values (?, ?, ?, now(), now())
       on conflict (user_id) do update set stripe_price_id = excluded.stripe_price_id, stripe_price_cents = excluded.stripe_price_cents, updated_at = now()`,
      [userId, priceId, cents],
    );
  }

  /** A deleted account's creator price goes (no checkout can reach it any more); customer and product stay as records. */
  async forgetPrice(userId: string): Promise<void> {
    await this.getEntityManager().execute('update billing_profiles set stripe_price_id = null, stripe_price_cents = null where user_id = ?', [userId]);
  }

  /** The user holding a Stripe customer or product (none for a null id), in the caller's transaction. */
  async userIdByRef(em: EntityManager, ref: { customerId: string | null } | { productId: string | null }): Promise<string | undefined> {
    const [column, value] = 'customerId' in ref ? ['stripe_customer_id', ref.customerId] : ['stripe_product_id', ref.productId];
    if (!value) return undefined;
    const [row] = await em.execute<{ user_id: string }[]>(`select user_id from billing_profiles where ${column} = ?`, [value]);
    return row?.user_id;
  }
}
