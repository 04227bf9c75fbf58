import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { outboxProcessor } from '@/common/outbox/outbox.processor';
import { QueueName } from '@/common/queue/queue-names';
import { UsersModule } from '@/modules/users/users.module';
import { CREATOR_PRICING } from '@/modules/users/users.ports';
import { BillingAccountDataService } from './billing-account-data.service';
import { BillingController } from './billing.controller';
import { BlockedSubscriptionsService } from './blocked-subscriptions.service';
import { CheckoutSessions } from './checkout-sessions.service';
import { CheckoutService } from './checkout.service';
import { DuplicatePaymentsService } from './duplicate-payments.service';
import { OpenCheckouts } from './open-checkouts';
import { PayoutAccountSyncService } from './connect/payout-account-sync.service';
import { SubscriptionRoutingService } from './connect/subscription-routing.service';
import { PayoutAccountsModule } from '@/modules/payouts/payout-accounts.module';
import { PayoutsAccountDataService } from './connect/payouts-account-data.service';
import { PayoutsOnboardingService } from './connect/payouts-onboarding.service';
import { PayoutsController } from './connect/payouts.controller';
import { CreatorPricingService } from './creator-pricing.service';
import { EarningsLedger } from './earnings/earnings-ledger';
import { EarningsRecorder } from './earnings/earnings-recorder.service';
import { EarningsController } from './earnings/earnings.controller';
import { EarningsService } from './earnings/earnings.service';
import { PaymentOrigins } from './earnings/payment-origins';
import { ReferralPayoutsService } from './earnings/referral-payouts.service';
import { ReferralRewardsService } from './earnings/referral-rewards.service';
import { ReferralShareEvents } from './earnings/referral-share-events';
import { ReferralSharesRepository } from './earnings/referral-shares.repository';
import { ReferralTransfers } from './earnings/referral-transfers';
import { ReferralShare } from './entities/referral-share.entity';
import { ReferralsModule } from '@/modules/referrals/referrals.module';
import { LedgerAuditService } from './ledger-audit.service';
import { EntitlementsModule } from '@/modules/entitlements/entitlements.module';
import { BillingProfile } from './entities/billing-profile.entity';
import { CheckoutSession } from './entities/checkout-session.entity';
import { PayoutAccount } from './entities/payout-account.entity';
import { PostUnlock } from './entities/post-unlock.entity';
import { StripeEvent } from './entities/stripe-event.entity';
import { Subscription } from './entities/subscription.entity';
import { StripeEventApplier } from './stripe-event-applier.service';
import { StripeWebhookController } from './stripe-webhook.controller';
import { StripeWebhookService } from './stripe-webhook.service';
import { StripeClient } from './stripe/stripe.client';
import { SubscriptionPairs } from './subscription-pairs.service';
import { SubscriptionSyncService } from './subscription-sync.service';
import { SubscriptionsService } from './subscriptions.service';
import { SaleItems } from './sale-items.service';
import { MessageUnlock } from './entities/message-unlock.entity';
import { UnlockPaymentsService } from './unlock-payments.service';
import { UnlocksService } from './unlocks.service';
import { Tip } from './entities/tip.entity';
import { Tier } from './entities/tier.entity';
import { CreatorBundle } from './entities/creator-bundle.entity';
import { BundlesController } from './bundles.controller';
import { BundlesService } from './bundles.service';
import { TiersController } from './tiers.controller';
import { TiersService } from './tiers.service';
import { TipsRepository } from './repositories/tips.repository';
import { TipPaymentsService } from './tip-payments.service';
import { TipsService } from './tips.service';
import { Offer } from './entities/offer.entity';
import { OfferRedemption } from './entities/offer-redemption.entity';
import { OfferCheckoutService } from './offer-checkout.service';
import { OffersController } from './offers.controller';
import { OffersService } from './offers.service';
import { MailModule } from '@/modules/mail/mail.module';
import { Gift } from './entities/gift.entity';
import { GiftPaymentsService } from './gift-payments.service';
import { GiftsController } from './gifts.controller';
import { GiftsService } from './gifts.service';
import { GiftsRepository } from './repositories/gifts.repository';

/**
 * Stripe: checkout, subscriptions, the webhook and the subscriber that applies its events (on the `billing` queue,
 * whose processor runs only where workers run). Exports users' `CREATOR_PRICING` port (the price PATCH /me sets).
 * Entitlements, which every visibility check reads, are EntitlementsModule. Reconciliation (its own module) gets
 * `LedgerAuditService` and the Stripe client.
 */
@Module({})
export class BillingModule {
  /**
   * `ports`: modules exporting the tokens of billing.ports.ts (`POSTS_FOR_SALE` from posts, `MESSAGES_FOR_SALE` and `TIP_TARGETS` from messages, `BLOCK_CHECK` from
   * social). The app root passes them, so billing imports neither feature (they import billing's entitlements).
   */
  static forRoot(config: AppConfig, ports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return {
      module: BillingModule,
      imports: [
        MikroOrmModule.forFeature([Subscription, PostUnlock, MessageUnlock, Tip, Tier, CreatorBundle, Gift, StripeEvent, PayoutAccount, BillingProfile, CheckoutSession, ReferralShare, Offer, OfferRedemption]),
        EntitlementsModule,
        PayoutAccountsModule,
        UsersModule,
        ReferralsModule,
        // Gifts' redeem mail (docs/billing.md#gifts).
        MailModule,
        ...ports,
      ],
      controllers: config.runsApi ? [BillingController, TiersController, BundlesController, OffersController, GiftsController, EarningsController, StripeWebhookController, PayoutsController] : [],
      providers: [
        StripeClient,
        CreatorPricingService,
        TiersService,
        BundlesService,
        { provide: CREATOR_PRICING, useExisting: CreatorPricingService },
        CheckoutService,
        OffersService,
        OfferCheckoutService,
        OpenCheckouts,
        CheckoutSessions,
        DuplicatePaymentsService,
        BlockedSubscriptionsService,
        SubscriptionSyncService,
        SubscriptionPairs,
        SubscriptionsService,
        UnlocksService,
        UnlockPaymentsService,
        SaleItems,
        TipsService,
        TipPaymentsService,
        TipsRepository,
        GiftsService,
        GiftPaymentsService,
        GiftsRepository,
        StripeWebhookService,
        StripeEventApplier,
        BillingAccountDataService,
        EarningsLedger,
        EarningsRecorder,
        PaymentOrigins,
        EarningsService,
        ReferralShareEvents,
        ReferralSharesRepository,
        ReferralTransfers,
        ReferralRewardsService,
        ReferralPayoutsService,
        PayoutsOnboardingService,
        PayoutAccountSyncService,
        SubscriptionRoutingService,
        PayoutsAccountDataService,
        LedgerAuditService,
        ...(config.runsWorkers ? [outboxProcessor(QueueName.Billing)] : []),
      ],
      // Reconciliation reads the ledger and replays lost events through LedgerAuditService, and lists Stripe's history.
      exports: [CREATOR_PRICING, LedgerAuditService, StripeClient],
    };
  }
}
