import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { BundlesService } from './bundles.service';
import { CreatorPricingService, MAX_ACTIVE_TIERS } from './creator-pricing.service';
import { CreateTierDto, TierListResponse, TierResponse, toTierResponse, UpdateTierDto } from './dto/tier.dto';
import { Tier } from './entities/tier.entity';
import { TiersRepository } from './repositories/tiers.repository';

/**
 * A creator's tiers (docs/billing.md#tiers): up to 5 non-archived, ranked by `position`, each with monthly and
 * optionally yearly Stripe prices. The first tier (position 1) is the profile's `subscription_price_cents`, kept in
 * step both ways (PATCH /me through `CreatorPricingService.priceFor`, /me/tiers here through UsersService).
 */
@Injectable()
export class TiersService {
  constructor(
    private readonly tiers: TiersRepository,
    private readonly pricing: CreatorPricingService,
    private readonly payouts: PayoutAccountsService,
    private readonly users: UsersService,
    private readonly entitlements: EntitlementsService,
    private readonly bundles: BundlesService,
  ) {}

  /** The creator's non-archived tiers by position; `subscribers_count` when the viewer is the creator. */
  async list(viewer: AuthUser | undefined, username: string): Promise<TierListResponse> {
    const creator = await this.users.getActiveByUsername(username);
    const tiers = await this.tiers.listActive(creator.id);
    const counts = viewer?.id === creator.id ? await this.subscriberCounts(tiers.map((t) => t.id)) : undefined;
    return { data: tiers.map((t) => toTierResponse(t, counts ? (counts.get(t.id) ?? 0) : undefined)), bundles: await this.bundles.listOf(creator.id) };
  }

  async create(actor: AuthUser, dto: CreateTierDto): Promise<TierResponse> {
    const creator = await this.users.getActive(actor.id);
    checkYearly(dto.monthly_price_cents, dto.yearly_price_cents);
    const em = this.tiers.getEntityManager().fork();
    // A cheap refusal before anything is created at Stripe; the count under the lock below is the exact one.
    if ((await this.tiers.activeCount(em, creator.id)) >= MAX_ACTIVE_TIERS) throw BillingErrors.tooManyTiers();
    await this.payouts.assertCanSell(creator.id);
    const tier = await em.transactional(async (tx: EntityManager) => {
      await this.tiers.lockCreator(tx, creator.id);
      if ((await this.tiers.activeCount(tx, creator.id)) >= MAX_ACTIVE_TIERS) throw BillingErrors.tooManyTiers();
      return tx.create(Tier, {
        id: v7(),
        creatorId: creator.id,
        name: dto.name,
        description: dto.description ?? null,
        benefits: dto.benefits ?? [],
        monthlyPriceCents: dto.monthly_price_cents,
        yearlyPriceCents: dto.yearly_price_cents ?? null,
        currency: creator.currency,
        trialDays: dto.trial_days ?? 0,
        position: await this.tiers.nextPosition(tx, creator.id),
      });
    });
    if (tier.position === 1) await this.users.setSubscriptionPrice(creator.id, tier.monthlyPriceCents);
    await this.pricing.readyTier(creator, tier);
    return toTierResponse(tier, 0);
  }

  async update(actor: AuthUser, id: string, dto: UpdateTierDto): Promise<TierResponse> {
    const creator = await this.users.getActive(actor.id);
    const em = this.tiers.getEntityManager().fork();
    const tier = await this.own(em, creator, id);
    const monthly = dto.monthly_price_cents ?? tier.monthlyPriceCents;
    const yearly = dto.yearly_price_cents === undefined ? tier.yearlyPriceCents : dto.yearly_price_cents;
    checkYearly(monthly, yearly);
    const repriced = monthly !== tier.monthlyPriceCents || (yearly ?? null) !== (tier.yearlyPriceCents ?? null);
    if (repriced) await this.payouts.assertCanSell(creator.id);
    em.assign(tier, {
      ...(dto.name !== undefined && { name: dto.name }),
      ...(dto.description !== undefined && { description: dto.description }),
      ...(dto.benefits !== undefined && { benefits: dto.benefits }),
      ...(dto.trial_days !== undefined && { trialDays: dto.trial_days }),
      monthlyPriceCents: monthly,
      yearlyPriceCents: yearly ?? null,
    });
    await em.flush();
    if (tier.position === 1 && !tier.archived && dto.monthly_price_cents !== undefined) await this.users.setSubscriptionPrice(creator.id, monthly);
    // New prices for new subscriptions; running ones keep the price they were bought at.
    if (repriced && !tier.archived) await this.pricing.readyTier(creator, tier);
    return toTierResponse(tier, (await this.subscriberCounts([tier.id])).get(tier.id) ?? 0);
  }

  /** Archives: no new subscriptions; running ones keep their access until they end. */
  async archive(actor: AuthUser, id: string): Promise<void> {
    const creator = await this.users.getActive(actor.id);
    const em = this.tiers.getEntityManager().fork();
    const tier = await this.own(em, creator, id);
    if (tier.archived) return;
    tier.archived = true;
    await em.flush();
    if (tier.position === 1) await this.users.setSubscriptionPrice(creator.id, null);
  }

  private async own(em: EntityManager, creator: User, id: string): Promise<Tier> {
    const tier = await em.findOne(Tier, { id, creatorId: creator.id });
    if (!tier) throw BillingErrors.tierNotFound();
    return tier;
  }

  /** Subscribers with access now, per tier (`subscriptions_tier_id_index`). */
  private async subscriberCounts(tierIds: string[]): Promise<Map<string, number>> {
    if (!tierIds.length) return new Map();
    const access = this.entitlements.subscriptionAccessSql('s');
    const rows = await this.tiers
      .getEntityManager()
      .execute<{ id: string; n: number }[]>(`select s.tier_id as id, count(*)::int as n from subscriptions s where s.tier_id in (?) and ${access.sql} group by s.tier_id`, [
        tierIds,
        ...access.params,
      ]);
    return new Map(rows.map((r) => [r.id, r.n]));
  }
}

function checkYearly(monthly: number, yearly: number | null | undefined): void {
  if (yearly != null && yearly > 12 * monthly) throw BillingErrors.yearlyTooHigh();
}
