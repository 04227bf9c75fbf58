import { column, value } from '@/common/database/sql-fragment';
import { SUBSCRIPTION_STATUSES } from '@/modules/billing/entities/subscription.entity';
import { ACCESS_STATUSES, GRACE_STATUS, grantsAccess, hasSubscriberAccess, hasTierAccess, subscriptionGrantsAccess, subscriptionReachesTier } from './subscriber-access';

const DAY = 86_400_000;
const now = new Date('2026-12-03T10:00:00Z');
const endedDaysAgo = (days: number) => new Date(now.getTime() - days * DAY);

describe(grantsAccess.name, () => {
  it.each(['active', 'trialing'] as const)('gives access while %s, whatever the period end', (status) => {
    expect(grantsAccess({ status, currentPeriodEnd: endedDaysAgo(30) }, 3, now)).toBe(true);
    expect(grantsAccess({ status, currentPeriodEnd: null }, 3, now)).toBe(true);
  });

  it('keeps a past_due subscriber in until the grace days after the period end, and not a moment after', () => {
    expect(grantsAccess({ status: 'past_due', currentPeriodEnd: endedDaysAgo(1) }, 3, now)).toBe(true);
    expect(grantsAccess({ status: 'past_due', currentPeriodEnd: new Date(now.getTime() - 3 * DAY + 1) }, 3, now)).toBe(true);
    expect(grantsAccess({ status: 'past_due', currentPeriodEnd: endedDaysAgo(3) }, 3, now)).toBe(false);
    expect(grantsAccess({ status: 'past_due', currentPeriodEnd: endedDaysAgo(1) }, 0, now)).toBe(false);
    expect(grantsAccess({ status: 'past_due', currentPeriodEnd: null }, 3, now)).toBe(false);
  });

  it.each(SUBSCRIPTION_STATUSES.filter((s) => !ACCESS_STATUSES.includes(s) && s !== GRACE_STATUS))('ends access at once when %s', (status) => {
    expect(grantsAccess({ status, currentPeriodEnd: new Date(now.getTime() + 30 * DAY) }, 3, now)).toBe(false);
  });
});

describe(subscriptionGrantsAccess.name, () => {
  it('states the same rule in SQL on the given alias, the grace days bound as the only parameter', () => {
    expect(subscriptionGrantsAccess('s', 3)).toEqual({
      sql: "(s.status in ('active', 'trialing') or (s.status = 'past_due' and s.current_period_end + make_interval(days => ?) > now()))",
      params: [3],
    });
  });
});

describe(hasSubscriberAccess.name, () => {
  it('probes the (subscriber, creator) pair with bound values and the caller’s columns, in placeholder order', () => {
    const fragment = hasSubscriberAccess(value('viewer-id'), column('p.user_id'), 7);
    expect(fragment.sql).toBe(
      "(exists (select 1 from subscriptions sa where sa.subscriber_id = ? and sa.creator_id = p.user_id and (sa.status in ('active', 'trialing') or (sa.status = 'past_due' and sa.current_period_end + make_interval(days => ?) > now())))" +
        " or exists (select 1 from gifts ga where ga.recipient_id = ? and ga.creator_id = p.user_id and (ga.status = 'paid' and ga.starts_at <= now() and ga.ends_at > now())))",
    );
    // The gift disjunct (docs/billing.md#gifts) binds the subscriber again.
    expect(fragment.params).toEqual(['viewer-id', 7, 'viewer-id']);
    expect(fragment.sql.split('?')).toHaveLength(fragment.params.length + 1);
  });

  it('takes the creator as a value and the subscriber as a column just as well (fan-out shape)', () => {
    const fragment = hasSubscriberAccess(column('r.id'), value('creator-id'), 3);
    expect(fragment.sql).toContain('sa.subscriber_id = r.id and sa.creator_id = ?');
    expect(fragment.params).toEqual(['creator-id', 3, 'creator-id']);
  });
});

describe(hasTierAccess.name, () => {
  it('is the subscriber rule on the tier creator, plus the rank (position at least the tier), params in placeholder order', () => {
    const fragment = hasTierAccess(value('viewer-id'), column('p.min_tier_id'), 3);
    expect(fragment.sql).toContain('mt.id = p.min_tier_id and sa.subscriber_id = ? and sa.creator_id = mt.creator_id');
    expect(fragment.sql).toContain('st.position >= mt.position and (st.id = sa.tier_id or (st.id = sa.paid_tier_id and sa.paid_tier_until > now()))');
    expect(fragment.sql).toContain(subscriptionGrantsAccess('sa', 3).sql);
    // Or a running gift of that tier or a higher one (docs/billing.md#gifts).
    expect(fragment.sql).toContain('or exists (select 1 from tiers mg where mg.id = p.min_tier_id and exists (select 1 from gifts gt join tiers gtt');
    expect(fragment.params).toEqual(['viewer-id', 3, 'viewer-id']);
    expect(fragment.sql.split('?')).toHaveLength(fragment.params.length + 1);
  });
});

describe(subscriptionReachesTier.name, () => {
  it("compares the row's tier (or the tier paid for until the period end, after a downgrade) with the given one by position", () => {
    const fragment = subscriptionReachesTier('s', value('tier-2'));
    expect(fragment).toEqual({
      sql:
        'exists (select 1 from tiers mt where mt.id = ? and exists (select 1 from tiers st where st.position >= mt.position and (st.id = s.tier_id or (st.id = s.paid_tier_id and s.paid_tier_until > now()))))',
      params: ['tier-2'],
    });
  });
});
