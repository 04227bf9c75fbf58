import { applicationFeeCents } from '../connect/platform-fee';

/**
 * Integer-cent arithmetic of the earnings ledger. The fee percentage is in basis points (`PLATFORM_FEE_PERCENT` has at
 * most two decimals), and every division rounds half up on the absolute value, as checkout's application fee does
 * (`payouts/platform-fee.ts`), so a refund's share mirrors its payment's exactly.
 */

/** `a * b / c` in integers, rounded half up (away from zero for negatives): 5 × 1 / 10 → 1, -5 × 1 / 10 → -1. */
export function mulDivRound(a: number, b: number, c: number): number {
  if (c === 0) return 0;
  const sign = Math.sign(a) * Math.sign(b) * Math.sign(c);
  const [x, y, z] = [BigInt(Math.abs(a)), BigInt(Math.abs(b)), BigInt(Math.abs(c))];
  const magnitude = Number((x * y * 2n + z) / (2n * z));
  return sign < 0 && magnitude ? -magnitude : magnitude;
}

/** The platform's fee on `grossCents` at `feeBasisPoints`: 999 at 1000 (10 %) → 100 (99.9 rounded half up). */
export function percentFee(grossCents: number, feeBasisPoints: number): number {
  return applicationFeeCents(grossCents, feeBasisPoints);
}

/** A payment's amounts: the fee Stripe reports (the Connect application fee), else the platform's percentage. */
export function splitPayment(grossCents: number, reportedFeeCents: number | null | undefined, feeBasisPoints: number): { grossCents: number; feeCents: number; netCents: number } {
  const feeCents = typeof reportedFeeCents === 'number' ? Math.min(reportedFeeCents, grossCents) : percentFee(grossCents, feeBasisPoints);
  return { grossCents, feeCents, netCents: grossCents - feeCents };
}

/**
 * A part (refund, dispute) of a payment, as a negative movement with the payment's fee share: `part` of `payment`.
 * Computed on cumulative totals by the caller when parts come one after another, so they add up to the whole.
 */
export function shareOf(partCents: number, payment: { grossCents: number; feeCents: number }): { feeCents: number } {
  return { feeCents: mulDivRound(partCents, payment.feeCents, payment.grossCents) };
}
