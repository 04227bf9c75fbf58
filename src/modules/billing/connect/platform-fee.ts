/**
 * The platform's fee on a one-off payment of `cents`, for Stripe's `application_fee_amount` (integer cents):
 * `cents × PLATFORM_FEE_PERCENT / 100`, rounded half up, in integer arithmetic on hundredths of a percent (no float
 * drift: 300 at 12.5% is 37.5, so 38; 305 at 10% is 30.5, so 31).
 */
export function applicationFeeCents(cents: number, feeBasisPoints: number): number {
  return Math.floor((cents * feeBasisPoints + 5_000) / 10_000);
}
