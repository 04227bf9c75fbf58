import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntitlementsService } from './entitlements.service';
import { PostUnlock } from './entities/post-unlock.entity';
import { StripeEvent } from './entities/stripe-event.entity';
import { Subscription } from './entities/subscription.entity';

/** Stripe checkout and webhooks arrive with the billing work; entitlements are read by every visibility check. */
@Module({
  imports: [MikroOrmModule.forFeature([Subscription, PostUnlock, StripeEvent])],
  providers: [EntitlementsService],
  exports: [EntitlementsService],
})
export class BillingModule {}
