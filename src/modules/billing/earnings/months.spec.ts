import { fillMonths, lastTwelveMonths, monthOf, twelveMonthsStart } from './months';
import { mulDivRound, percentFee, splitPayment } from './money';

describe('earnings months', () => {
  it('names the UTC month of an instant, whatever the local offset', () => {
    expect(monthOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    expect(monthOf(new Date('2026-12-01T00:00:00.000Z'))).toBe('2026-12');
    expect(monthOf(new Date('2026-12-01T00:30:00+01:00'))).toBe('2026-11');
  });

  it('lists 12 months oldest first, the current one last, across a year boundary', () => {
    expect(lastTwelveMonths(new Date('2026-03-15T10:00:00Z'))).toEqual([
      '2025-04', '2025-05', '2025-06', '2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03',
    ]);
    const december = lastTwelveMonths(new Date('2026-12-31T23:59:59Z'));
    expect(december[0]).toBe('2026-01');
    expect(december.at(-1)).toBe('2026-12');
    expect(new Set(december).size).toBe(12);
  });

  it('starts the window at the first instant of the oldest month', () => {
    expect(twelveMonthsStart(new Date('2026-01-31T12:00:00Z')).toISOString()).toBe('2025-02-01T00:00:00.000Z');
    // 31st of a month: still whole months (no day overflow into the next one).
    expect(lastTwelveMonths(new Date('2026-05-31T00:00:00Z'))[0]).toBe('2025-06');
  });

  it('fills the months without rows with zeros, keeping the order', () => {
    const months = lastTwelveMonths(new Date('2026-11-02T00:00:00Z'));
    const filled = fillMonths(months, new Map([['2026-11', { month: '2026-11', n: 3 }], ['2026-01', { month: '2026-01', n: 1 }]]), (month) => ({ month, n: 0 }));
    expect(filled).toHaveLength(12);
    expect(months[0]).toBe('2025-12');
    expect(filled.map((m) => m.n)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
    expect(filled[1].month).toBe('2026-01');
  });
});

describe('earnings money', () => {
  it('rounds half up on the absolute value', () => {
    expect(percentFee(999, 1000)).toBe(100);
    expect(percentFee(5, 1000)).toBe(1);
    expect(percentFee(4, 1000)).toBe(0);
    expect(percentFee(1005, 1250)).toBe(126);
    expect(mulDivRound(-5, 1, 10)).toBe(-1);
    expect(mulDivRound(-4, 1, 10)).toBe(0);
  });

  it('takes the fee Stripe reports when there is one, else the percentage; net is gross minus fee', () => {
    expect(splitPayment(1000, 150, 1000)).toEqual({ grossCents: 1000, feeCents: 150, netCents: 850 });
    expect(splitPayment(1000, null, 1000)).toEqual({ grossCents: 1000, feeCents: 100, netCents: 900 });
    expect(splitPayment(1000, 0, 1000)).toEqual({ grossCents: 1000, feeCents: 0, netCents: 1000 });
  });
});
