import { createHash } from 'node:crypto';
import { v7 } from 'uuid';
import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { User } from '@/modules/users/entities/user.entity';
import { toUserSummary } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { BLOCK_CHECK, BlockCheck } from './billing.ports';
import { CheckoutService } from './checkout.service';
import { CheckoutResponse, SubscriptionResponse } from './dto/billing.dto';
import { GiftDto, GiftResponse } from './dto/gift.dto';
import { CreatorBundle } from './entities/creator-bundle.entity';
import { giftAmountCents } from './gift-price';
import { hashGiftToken } from './gift-payments.service';
import { GiftRow, GiftsRepository } from './repositories/gifts.repository';
import { TiersRepository } from './repositories/tiers.repository';
import { tierOnSale } from './tier-on-sale';

export const GiftErrors = {
  self: () => AppException.unprocessable('You cannot give a gift to yourself', 'recipient_username'),
  toCreator: () => AppException.unprocessable('The creator has access to their own content', 'recipient_username'),
  oneRecipient: () => AppException.unprocessable('Give exactly one of recipient_username and recipient_email', 'recipient_username'),
  unknownRecipient: () => AppException.unprocessable('No such account', 'recipient_username'),
  invalidToken: () => new AppException(ErrorCode.InvalidToken, 'This gift link is used or unknown'),
};

/**
 * Gifts (docs/billing.md#gifts): asking one (a Stripe Checkout in payment mode, routed as unlocks and tips are) and
 * redeeming an e-mailed one. What happens once it is paid is `GiftPaymentsService`'s, in the webhook worker.
 */
@Injectable()
export class GiftsService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    @Inject(BLOCK_CHECK) private readonly blocks: BlockCheck,
    private readonly tiers: TiersRepository,
    private readonly checkout: CheckoutService,
    private readonly gifts: GiftsRepository,
  ) {}

  async give(actor: AuthUser, username: string, dto: GiftDto, idempotencyKey?: string): Promise<CheckoutResponse> {
    const creator = await this.users.getActiveByUsername(username);
    if ((dto.recipient_username === undefined) === (dto.recipient_email === undefined)) throw GiftErrors.oneRecipient();
    const recipient = await this.recipient(dto);
    const email = recipient ? null : dto.recipient_email!.trim().toLowerCase();
    if (recipient?.id === actor.id) throw GiftErrors.self();
    if (recipient?.id === creator.id || creator.id === actor.id) throw GiftErrors.toCreator();
    const tier = await tierOnSale(this.tiers, creator, dto.tier_id);
    if (await this.blocks.isBlockedEitherWay(actor.id, creator.id)) throw BillingErrors.blocked();
    if (recipient && (await this.blocks.isBlockedEitherWay(recipient.id, creator.id))) throw BillingErrors.blocked();
    // The bundle of that length, when the creator sells one (docs/billing.md#bundles): the gift costs its price.
    const bundle = await this.em.fork().findOne(CreatorBundle, { creatorId: creator.id, months: dto.months });
    const amountCents = giftAmountCents(tier, dto.months, bundle?.discountPercent ?? null);
    const message = dto.message ?? null;
    const key = createHash('sha256')
      .update(JSON.stringify([tier.id, dto.months, recipient?.id ?? email, message]))
      .digest('hex')
      .slice(0, 32);
    const buyer = await this.users.getActive(actor.id);
    // A reused open session keeps its first row (and the id its metadata names): this id is then not written.
    const giftId = v7();
    const response = await this.checkout.gift(buyer, { giftId, creatorId: creator.id, creatorUsername: creator.username, amountCents, currency: creator.currency, key }, idempotencyKey);
    await this.gifts.recordAsked(this.em.fork(), {
      id: giftId,
      gifterId: actor.id,
      creatorId: creator.id,
      tierId: tier.id,
      recipientId: recipient?.id ?? null,
      recipientEmail: email,
      months: dto.months,
      message,
      amountCents,
      currency: creator.currency,
      checkoutSessionId: response.checkout_session_id,
    });
    return response;
  }

  /** An e-mailed gift becomes the signed-in account's: its grant starts now, or after its running gift of that creator. */
  async redeem(actor: AuthUser, token: string): Promise<GiftResponse> {
    const id = await this.em.fork().transactional(async (em) => {
      const gift = await this.gifts.lockRedeemable(em, hashGiftToken(token));
      if (!gift) throw GiftErrors.invalidToken();
      await this.gifts.lockPair(em, actor.id, gift.creator_id);
      await this.gifts.grant(em, gift.id, actor.id, gift.creator_id);
      await this.gifts.markRedeemed(em, gift.id);
      return gift.id;
    });
    const row = await this.gifts.find(this.em.fork(), id);
    return (await this.respond([row!]))[0];
  }

  /** The account's running gifts as subscription objects (`gift: true`, period end = the grant's end), for `GET /me/subscriptions`. */
  async asSubscriptions(actor: AuthUser): Promise<SubscriptionResponse[]> {
    const rows = await this.gifts.runningFor(this.em.fork(), actor.id);
    if (!rows.length) return [];
    const people = new Map((await this.users.findActiveByIds([...new Set([actor.id, ...rows.map((r) => r.creator_id)])])).map((u) => [u.id, u]));
    const names = await this.tiers.namesOf([...new Set(rows.map((r) => r.tier_id))]);
    return rows.flatMap((r) => {
      const creator = people.get(r.creator_id);
      const me = people.get(actor.id);
      if (!creator || !me) return [];
      return [
        {
          id: r.id,
          subscriber: toUserSummary(me),
          creator: toUserSummary(creator),
          status: 'active',
          price_cents: 0,
          currency: creator.currency,
          current_period_start: new Date(r.starts_at).toISOString(),
          current_period_end: new Date(r.ends_at).toISOString(),
          cancel_at_period_end: true,
          tier: { id: r.tier_id, name: names.get(r.tier_id) ?? '' },
          interval: 'month',
          bundle_months: null,
          offer_code: null,
          trial_end: null,
          gift: true,
          created_at: new Date(r.starts_at).toISOString(),
        },
      ];
    });
  }

  private async respond(rows: GiftRow[]): Promise<GiftResponse[]> {
    const creators = new Map((await this.users.findActiveByIds([...new Set(rows.map((r) => r.creator_id))])).map((u) => [u.id, u]));
    const names = await this.tiers.namesOf([...new Set(rows.map((r) => r.tier_id))]);
    return rows.map((r) => ({
      id: r.id,
      creator: { id: r.creator_id, username: creators.get(r.creator_id)?.username ?? '' },
      tier: { id: r.tier_id, name: names.get(r.tier_id) ?? '' },
      months: Number(r.months),
      message: r.message,
      starts_at: new Date(r.starts_at).toISOString(),
      ends_at: new Date(r.ends_at).toISOString(),
    }));
  }

  /** The recipient account: by username (`422` when none), or the account of `recipient_email` (null: none). */
  private async recipient(dto: GiftDto): Promise<User | null> {
    if (dto.recipient_username !== undefined) {
      const [user] = await this.users.findActiveByUsernames([dto.recipient_username.toLowerCase()]);
      if (!user) throw GiftErrors.unknownRecipient();
      return user;
    }
    return this.users.findActiveByEmail(dto.recipient_email!);
  }

}
