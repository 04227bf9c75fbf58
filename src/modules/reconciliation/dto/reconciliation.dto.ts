import { ApiProperty } from '@nestjs/swagger';
import { IsDate } from 'class-validator';
import { ToDateFromIso } from '@/common/http/iso-date-time';
import type { Comparison } from '../compare';

/** `from` and `to` (exclusive): ISO dates (`2026-11-01`, UTC midnight) or date-times, at most 92 days apart. */
export class ReconciliationRangeDto {
  @ApiProperty({ type: String, format: 'date-time', example: '2026-11-01T00:00:00Z', description: 'Start (inclusive): an ISO date-time, or a date (`2026-11-01`: UTC midnight)' })
  @ToDateFromIso()
  @IsDate({ message: 'from must be an ISO 8601 date or date-time' })
  from: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2026-12-01T00:00:00Z', description: 'End (exclusive): an ISO date-time or date, after `from` and at most 92 days after it' })
  @ToDateFromIso()
  @IsDate({ message: 'to must be an ISO 8601 date or date-time' })
  to: Date;
}

export class MissingInLedgerItem {
  @ApiProperty({ description: 'The Stripe object: a charge `ch_…`, refund `re_…`, dispute `dp_…`, fee `fee_…`, `fr_…`, transfer `tr_…`, `trr_…`' })
  stripe_id: string;
  @ApiProperty({ description: 'The ledger kind it stands for (`payment`: a charge, whichever payment kind)' }) kind: string;
  @ApiProperty({ description: "Signed as the ledger signs it (the creator's money)" }) amount_cents: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class MissingInStripeItem {
  @ApiProperty({ format: 'uuid' }) entry_id: string;
  @ApiProperty() kind: string;
  @ApiProperty() amount_cents: number;
  @ApiProperty({ description: 'The Stripe id the entry names (its charge for payments)' }) stripe_id: string;
}

export class MismatchedItem {
  @ApiProperty() stripe_id: string;
  @ApiProperty() kind: string;
  @ApiProperty() ledger_cents: number;
  @ApiProperty() stripe_cents: number;
}

export class ReconciliationReportResponse {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ description: "Stripe's balance transactions of the window that moved creator money" }) stripe_objects: number;
  @ApiProperty({ description: "The ledger's money entries of the window" }) ledger_entries: number;
  @ApiProperty({ type: [MissingInLedgerItem] }) missing_in_ledger: MissingInLedgerItem[];
  @ApiProperty({ type: [MissingInStripeItem] }) missing_in_stripe: MissingInStripeItem[];
  @ApiProperty({ type: [MismatchedItem] }) mismatched: MismatchedItem[];
}

export function toReportResponse(window: { from: Date; to: Date }, c: Comparison): ReconciliationReportResponse {
  return {
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    stripe_objects: c.stripeObjects,
    ledger_entries: c.ledgerEntries,
    missing_in_ledger: c.missingInLedger.map((m) => ({ stripe_id: m.stripeId, kind: m.kind, amount_cents: m.amountCents, created_at: m.createdAt.toISOString() })),
    missing_in_stripe: c.missingInStripe.map((m) => ({ entry_id: m.entryId, kind: m.kind, amount_cents: m.amountCents, stripe_id: m.stripeId })),
    mismatched: c.mismatched.map((m) => ({ stripe_id: m.stripeId, kind: m.kind, ledger_cents: m.ledgerCents, stripe_cents: m.stripeCents })),
  };
}

/** Whether the report found anything: what the CLI's exit code and the daily job's failure say. */
export function hasDifferences(report: ReconciliationReportResponse): boolean {
  return report.missing_in_ledger.length + report.missing_in_stripe.length + report.mismatched.length > 0;
}
