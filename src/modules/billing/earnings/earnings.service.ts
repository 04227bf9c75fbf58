import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { UsersService } from '@/modules/users/users.service';
import { EarningsMonthResponse, EarningsResponse } from '../dto/earnings.dto';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { EarningsLedger, MonthTotals } from './earnings-ledger';
import { fillMonths, lastTwelveMonths } from './months';

const zero = (month: string): MonthTotals => ({
  month,
  grossCents: 0,
  feeCents: 0,
  netCents: 0,
  refundedCents: 0,
  referralCents: 0,
  tipCents: 0,
  giftCents: 0,
  discountCents: 0,
  unlocks: 0,
  newSubscribers: 0,
  churnedSubscribers: 0,
});

/**
 * `GET /me/earnings`: two reads whatever the creator's size. The summary (`earnings_months`, one row per month with
 * entries, by its primary key) gives the lifetime and the 12 months; MRR and active subscribers come from billing's
 * access rule over the creator's subscriptions (EntitlementsService).
 */
@Injectable()
export class EarningsService {
  constructor(
    private readonly ledger: EarningsLedger,
    private readonly entitlements: EntitlementsService,
    private readonly users: UsersService,
    private readonly em: EntityManager,
  ) {}

  async forCreator(actor: AuthUser, now: Date = new Date()): Promise<EarningsResponse> {
    const { currency } = await this.users.getActive(actor.id);
    const [months, revenue] = await Promise.all([this.ledger.months(this.em.fork(), actor.id, currency), this.entitlements.activeRevenue(actor.id, currency)]);
    const lifetime = months.reduce(
      (sum, m) => ({
        gross_cents: sum.gross_cents + m.grossCents,
        fee_cents: sum.fee_cents + m.feeCents,
        net_cents: sum.net_cents + m.netCents,
        refunded_cents: sum.refunded_cents + m.refundedCents,
        referral_cents: sum.referral_cents + m.referralCents,
        tip_cents: sum.tip_cents + m.tipCents,
        gift_cents: sum.gift_cents + m.giftCents,
        discount_cents: sum.discount_cents + m.discountCents,
      }),
      { gross_cents: 0, fee_cents: 0, net_cents: 0, refunded_cents: 0, referral_cents: 0, tip_cents: 0, gift_cents: 0, discount_cents: 0 },
    );
    const byMonth = new Map(months.map((m) => [m.month, m]));
    return {
      currency,
      active_subscribers: revenue.subscribers,
      mrr_cents: revenue.monthlyCents,
      lifetime,
      months: fillMonths(lastTwelveMonths(now), byMonth, zero).map(toMonthResponse),
    };
  }
}

function toMonthResponse(m: MonthTotals): EarningsMonthResponse {
  return {
    month: m.month,
    gross_cents: m.grossCents,
    fee_cents: m.feeCents,
    net_cents: m.netCents,
    new_subscribers: m.newSubscribers,
    churned_subscribers: m.churnedSubscribers,
    unlocks: m.unlocks,
    referral_cents: m.referralCents,
    tip_cents: m.tipCents,
    gift_cents: m.giftCents,
    discount_cents: m.discountCents,
  };
}
