import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';

/** Where a creator's money goes: their connected account, or (platform-collects mode) the platform's own. */
export interface PaymentRoute {
  /** The creator's Stripe account (`transfer_data.destination`); null: the platform collects the payment. */
  destination: string | null;
}

/**
 * The read side of Stripe Connect: whether a creator may sell (prices need an account with charges enabled when
 * `CONNECT_REQUIRED=true`), and where a checkout's money goes. Exported alone by PayoutAccountsModule, so posts can
 * check a price without importing billing. It reads billing's `payout_accounts` in SQL and writes nothing: onboarding
 * and the webhook's account events are billing's (`billing/connect/`).
 */
@Injectable()
export class PayoutAccountsService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
  ) {}

  /** `422` (field `payouts`) when Connect is required and the creator cannot take payments: before setting a price. */
  async assertCanSell(creatorId: string): Promise<void> {
    if (!this.config.connect.required) return;
    if (!(await this.chargeableAccount(creatorId))) {
      throw AppException.unprocessable('Connect a payout account that can accept payments before setting a price (POST /me/payouts/onboarding)', 'payouts');
    }
  }

  /**
   * A checkout's route: a connected account that can take charges always gets the money (less the fee), in both
   * modes; without one, `CONNECT_REQUIRED=true` refuses the checkout (`422`) and `false` lets the platform collect.
   */
  async routeFor(creatorId: string): Promise<PaymentRoute> {
    const destination = await this.chargeableAccount(creatorId);
    if (!destination && this.config.connect.required) {
      throw AppException.unprocessable('This creator cannot take payments until their payout account is connected', 'payouts');
    }
    return { destination };
  }

  /** The live (not deauthorized) account, at most one per user (a partial unique index), when it can take charges. */
  private async chargeableAccount(creatorId: string): Promise<string | null> {
    const [live] = await this.em.execute<{ stripe_account_id: string; charges_enabled: boolean }[]>(
      'select stripe_account_id, charges_enabled from payout_accounts where user_id = ? and deauthorized_at is null',
      [creatorId],
    );
    return live?.charges_enabled ? live.stripe_account_id : null;
  }
}
