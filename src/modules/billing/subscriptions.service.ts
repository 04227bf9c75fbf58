import { Inject, Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { BLOCK_CHECK, BlockCheck } from './billing.ports';
import { CheckoutService } from './checkout.service';
import { CheckoutResponse, SubscriptionResponse, toSubscriptionResponse } from './dto/billing.dto';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';
import { RUNNING, SubscriptionSyncService } from './subscription-sync.service';

/** Subscribing to a creator, cancelling, and the lists. Access itself is EntitlementsService's rule. */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly users: UsersService,
    @Inject(BLOCK_CHECK) private readonly blocks: BlockCheck,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly checkout: CheckoutService,
    private readonly sync: SubscriptionSyncService,
  ) {}

  async subscribe(actor: AuthUser, username: string, idempotencyKey?: string): Promise<CheckoutResponse> {
    const creator = await this.users.getActiveByUsername(username);
    if (creator.id === actor.id) throw BillingErrors.selfSubscription();
    if (creator.subscriptionPriceCents == null) throw BillingErrors.noPrice();
    if (await this.blocks.isBlockedEitherWay(actor.id, creator.id)) throw BillingErrors.blocked();
    const existing = await this.subscriptions.findPair(actor.id, creator.id);
    if (existing && RUNNING.has(existing.status)) throw BillingErrors.alreadySubscribed();
    return this.checkout.subscription(await this.users.getActive(actor.id), creator, idempotencyKey);
  }

  /** Cancels at the period end (Stripe keeps it `active` until then, so access lasts). */
  async cancel(actor: AuthUser, username: string): Promise<SubscriptionResponse> {
    const creator = await this.users.getActiveByUsername(username);
    const existing = await this.subscriptions.findPair(actor.id, creator.id);
    if (!existing?.stripeSubscriptionId || !RUNNING.has(existing.status)) throw BillingErrors.notSubscribed();
    const updated = await this.sync.cancelAtPeriodEnd(existing.stripeSubscriptionId);
    if (!updated) throw BillingErrors.notSubscribed();
    return toSubscriptionResponse(updated);
  }

  async list(actor: AuthUser, side: 'subscriber' | 'creator', query: PageQuery): Promise<Page<SubscriptionResponse>> {
    const rows = await this.subscriptions.pageFor(side, actor.id, decodeCursor(query.cursor), query.limit + 1);
    return toPage(rows, query.limit, (r) => ({ at: r.createdAt, id: r.id }), toSubscriptionResponse);
  }
}
