import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { OnboardingLinkResponse, PayoutAccountResponse, toPayoutAccountResponse } from '../dto/payouts.dto';
import { StripeClient } from '../stripe/stripe.client';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { accountState } from './stripe-account';

/**
 * A creator connects to Stripe: one Express account per creator (created at the first onboarding, reused after, a new
 * one after a deauthorization), and a fresh onboarding link each time (links are single use and expire in minutes).
 */
@Injectable()
export class PayoutsOnboardingService {
  constructor(
    private readonly stripe: StripeClient,
    private readonly users: UsersService,
    private readonly accounts: PayoutAccountsRepository,
    private readonly config: AppConfig,
  ) {}

  async onboard(actor: AuthUser): Promise<OnboardingLinkResponse> {
    const user = await this.users.getActive(actor.id);
    const account = await this.liveAccount(user);
    const { returnUrl, refreshUrl } = this.config.connect;
    const link = await this.stripe.call('create an onboarding link', (stripe) =>
      stripe.accountLinks.create({ account, type: 'account_onboarding', return_url: returnUrl, refresh_url: refreshUrl }),
    );
    return { url: link.url, expires_at: new Date(link.expires_at * 1000).toISOString() };
  }

  async status(actor: AuthUser): Promise<PayoutAccountResponse> {
    const account = await this.accounts.findNewest(actor.id);
    if (!account) throw AppException.notFound('No payout account yet: start with POST /me/payouts/onboarding');
    return toPayoutAccountResponse(account);
  }

  /**
   * The creator's live account id, created at Stripe when there is none. The idempotency key names the user and how
   * many of their accounts were deauthorized, so racing or retried calls get the one account from Stripe, and the call after a
   * deauthorization a new one.
   */
  private async liveAccount(user: User): Promise<string> {
    const live = await this.accounts.findLive(user.id);
    if (live) return live.stripeAccountId;
    const generation = await this.accounts.countDeauthorized(user.id);
    const created = await this.stripe.call('create a connected account', (stripe) =>
      stripe.accounts.create(
        {
          type: 'express',
          email: user.email,
          metadata: { user_id: user.id },
          // Destination charges need `transfers`; `card_payments` lets the account be the settlement merchant later.
          capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
        },
        { idempotencyKey: `x18-connect-account:${user.id}:${generation}` },
      ),
    );
    return (await this.accounts.insertLive(this.accounts.getEntityManager().fork(), user.id, created.id, accountState(created))).stripeAccountId;
  }
}
