import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { PayoutAccount } from '../entities/payout-account.entity';
import { PayoutAccountsRepository } from './payout-accounts.repository';

/** Where a creator's money goes: their connected account, or (platform-collects mode) the platform's own. */
export interface PaymentRoute {
  /** The creator's Stripe account (`transfer_data.destination`); null: the platform collects the payment. */
  destination: string | null;
}

/**
 * Billing's read side of Stripe Connect: a creator's payout account, whether they may sell (prices need an account
 * with charges enabled when `CONNECT_REQUIRED=true`), and where a checkout's money goes. Exported alone by
 * PayoutAccountsModule, so posts can check a price without importing billing.
 */
@Injectable()
export class PayoutAccountsService {
  constructor(
    private readonly accounts: PayoutAccountsRepository,
    private readonly config: AppConfig,
  ) {}

  /** The user's newest account (live or deauthorized), or null before onboarding. */
  newest(userId: string): Promise<PayoutAccount | null> {
    return this.accounts.findNewest(userId);
  }

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

  private async chargeableAccount(creatorId: string): Promise<string | null> {
    const live = await this.accounts.findLive(creatorId);
    return live?.chargesEnabled ? live.stripeAccountId : null;
  }
}
