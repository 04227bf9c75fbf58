import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PayoutAccount } from '../entities/payout-account.entity';
import { PayoutAccountsService } from './payout-accounts.service';

/**
 * Stripe Connect's read side (who can sell, where a checkout's money goes), imported by billing and by posts (a
 * post's price). Like EntitlementsModule it imports no feature, so posts may use it without a cycle; the onboarding
 * routes and the webhook's account events live in BillingModule, which has the Stripe client.
 */
@Module({
  imports: [MikroOrmModule.forFeature([PayoutAccount])],
  providers: [PayoutAccountsService],
  exports: [PayoutAccountsService],
})
export class PayoutAccountsModule {}
