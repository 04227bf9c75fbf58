import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostUnlock } from '../entities/post-unlock.entity';
import { Subscription } from '../entities/subscription.entity';
import { EntitlementsService } from './entitlements.service';

/**
 * Billing's read side: who may see whose paid content. Imported by every feature with a visibility check (posts,
 * timelines, social, notifications); it imports none of them, and billing reaches those features only through its
 * ports (billing.ports.ts), so there is no cycle. It exports its service only: billing's repositories stay inside.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Subscription, PostUnlock])],
  providers: [EntitlementsService],
  exports: [EntitlementsService],
})
export class EntitlementsModule {}
