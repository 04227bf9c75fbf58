import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostUnlock } from '../entities/post-unlock.entity';
import { Subscription } from '../entities/subscription.entity';
import { EntitlementsService } from './entitlements.service';

/**
 * Billing's read side: who may see whose paid content. Imported by every feature with a visibility check (posts,
 * timelines, social, notifications); it imports none of them, so BillingModule can import those features without a
 * cycle. It exports its service only: billing's repositories stay inside billing.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Subscription, PostUnlock])],
  providers: [EntitlementsService],
  exports: [EntitlementsService],
})
export class EntitlementsModule {}
