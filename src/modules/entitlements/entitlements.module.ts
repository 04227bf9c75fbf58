import { Module } from '@nestjs/common';
import { EntitlementsService } from './entitlements.service';

/**
 * Billing's read side: who may see whose paid content. Imported by every feature with a visibility check (posts,
 * timelines, social, notifications, search) and by billing itself; it imports none of them and owns no table: it
 * reads billing's `subscriptions` and `post_unlocks` in SQL (entitlement-queries.ts). Billing reaches the features
 * above it only through its ports (billing.ports.ts), so there is no cycle.
 */
@Module({
  providers: [EntitlementsService],
  exports: [EntitlementsService],
})
export class EntitlementsModule {}
