import { Module } from '@nestjs/common';
import { PayoutAccountsService } from './payout-accounts.service';

/**
 * Stripe Connect's read side (who can sell, where a checkout's money goes), imported by billing and by posts (a
 * post's price). Like EntitlementsModule it imports no feature and owns no table, so posts may use it without a
 * cycle; the onboarding routes and the webhook's account events live in BillingModule, which has the Stripe client.
 */
@Module({
  providers: [PayoutAccountsService],
  exports: [PayoutAccountsService],
})
export class PayoutAccountsModule {}
