import { applicationFeeCents } from './platform-fee';

describe(applicationFeeCents.name, () => {
  it('takes the percentage of the amount in integer cents, rounding half up', () => {
    expect(applicationFeeCents(500, 1000)).toBe(50);
    expect(applicationFeeCents(305, 1000)).toBe(31); // 30.5
    expect(applicationFeeCents(304, 1000)).toBe(30); // 30.4
    expect(applicationFeeCents(300, 1250)).toBe(38); // 37.5
    expect(applicationFeeCents(100, 290)).toBe(3); // 2.9
    expect(applicationFeeCents(100_000, 999)).toBe(9_990);
  });

  it('is zero at 0% and the whole amount at 100%', () => {
    expect(applicationFeeCents(1234, 0)).toBe(0);
    expect(applicationFeeCents(1234, 10_000)).toBe(1234);
  });
});
