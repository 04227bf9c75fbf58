import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntitlementsService } from './entitlements.service';
import { PostUnlock } from './entities/post-unlock.entity';
import { StripeEvent } from './entities/stripe-event.entity';
import { Subscription } from './entities/subscription.entity';

/**
 * Billing's read side: who may see whose paid content. Imported by every feature with a visibility check (posts,
 * social, notifications); it imports none of them, so BillingModule can import those features without a cycle.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Subscription, PostUnlock, StripeEvent])],
  providers: [EntitlementsService],
  exports: [EntitlementsService, MikroOrmModule],
})
export class EntitlementsModule {}
