import { Inject, Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { BLOCK_CHECK, BlockCheck } from './billing.ports';
import { CheckoutResponse, SubscriptionResponse, toSubscriptionResponse } from './dto/billing.dto';
import { ChangeTierDto, SubscribeDto } from './dto/tier.dto';
import { OfferCheckoutService } from './offer-checkout.service';
import { Subscription } from './entities/subscription.entity';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';
import { TiersRepository } from './repositories/tiers.repository';
import { tierOnSale } from './tier-on-sale';
import { RUNNING, SubscriptionSyncService } from './subscription-sync.service';

/** Subscribing to a creator's tier, changing tier, cancelling, and the lists. Access itself is EntitlementsService's rule. */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly users: UsersService,
    @Inject(BLOCK_CHECK) private readonly blocks: BlockCheck,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly checkout: OfferCheckoutService,
    private readonly sync: SubscriptionSyncService,
    private readonly tiers: TiersRepository,
  ) {}

  async subscribe(actor: AuthUser, username: string, dto: SubscribeDto = {}, idempotencyKey?: string): Promise<CheckoutResponse> {
    const creator = await this.users.getActiveByUsername(username);
    if (creator.id === actor.id) throw BillingErrors.selfSubscription();
    const tier = await tierOnSale(this.tiers, creator, dto.tier_id);
    const interval = dto.interval ?? 'month';
    if (interval === 'year' && dto.bundle_months != null) throw BillingErrors.bundleNotYearly();
    if (interval === 'year' && tier.yearlyPriceCents == null) throw BillingErrors.noYearlyPrice();
    if (await this.blocks.isBlockedEitherWay(actor.id, creator.id)) throw BillingErrors.blocked();
    const existing = await this.subscriptions.findPair(actor.id, creator.id);
    if (existing && RUNNING.has(existing.status)) throw BillingErrors.alreadySubscribed();
    return this.checkout.subscription(await this.users.getActive(actor.id), creator, tier, interval, { offerCode: dto.offer_code, bundleMonths: dto.bundle_months ?? null }, idempotencyKey);
  }

  /**
   * Moves the running subscription to another tier (or interval): Stripe moves the subscription's item to the new price
   * (an upgrade with proration now; a downgrade without, keeping the higher tier until the period end), and the row
   * follows the price Stripe answers (and later reports), never what was asked.
   */
  async changeTier(actor: AuthUser, username: string, dto: ChangeTierDto): Promise<SubscriptionResponse> {
    const creator = await this.users.getActiveByUsername(username);
    const existing = await this.subscriptions.findPair(actor.id, creator.id);
    if (!existing?.stripeSubscriptionId || !RUNNING.has(existing.status)) throw BillingErrors.notSubscribed();
    const tier = await tierOnSale(this.tiers, creator, dto.tier_id);
    const interval = dto.interval ?? existing.interval;
    if (interval === 'year' && tier.yearlyPriceCents == null) throw BillingErrors.noYearlyPrice();
    if (existing.tierId === tier.id && existing.interval === interval) throw BillingErrors.sameTier();
    const price = await this.checkout.tierPrice(creator, tier, interval);
    // A lower position is a downgrade: kept at the higher tier until the period end (docs/billing.md#changing-tier).
    const current = existing.tierId ? await this.tiers.findOne({ id: existing.tierId }) : null;
    const downgradeFrom = current && tier.position < current.position ? current.id : null;
    const updated = await this.sync.changePrice(existing.stripeSubscriptionId, price, downgradeFrom);
    if (!updated) throw BillingErrors.notSubscribed();
    return this.respond(updated);
  }

  /** Cancels at the period end (Stripe keeps it `active` until then, so access lasts). */
  async cancel(actor: AuthUser, username: string): Promise<SubscriptionResponse> {
    const creator = await this.users.getActiveByUsername(username);
    const existing = await this.subscriptions.findPair(actor.id, creator.id);
    if (!existing?.stripeSubscriptionId || !RUNNING.has(existing.status)) throw BillingErrors.notSubscribed();
    const updated = await this.sync.cancelAtPeriodEnd(existing.stripeSubscriptionId);
    if (!updated) throw BillingErrors.notSubscribed();
    return this.respond(updated);
  }

  async list(actor: AuthUser, side: 'subscriber' | 'creator', query: PageQuery): Promise<Page<SubscriptionResponse>> {
    const rows = await this.subscriptions.pageFor(side, actor.id, decodeCursor(query.cursor), query.limit + 1);
    const names = await this.tiers.namesOf([...new Set(rows.map((r) => r.tierId).filter((id): id is string => !!id))]);
    return toPage(rows, query.limit, (r) => ({ at: r.createdAt, id: r.id }), (r) => toSubscriptionResponse(r, names));
  }

  private async respond(row: Subscription): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(row, await this.tiers.namesOf(row.tierId ? [row.tierId] : []));
  }

}
