import { Injectable, Logger } from '@nestjs/common';
import Stripe from 'stripe';
import { LedgerAuditService, REPLAYED_EVENT_TYPES, ReplayOutcome } from '@/modules/billing/ledger-audit.service';
import { StripeClient } from '@/modules/billing/stripe/stripe.client';
import { compare, movementOf, StripeMovement, Window } from './compare';
import { ReconciliationReportResponse, ReconciliationRangeDto, toReportResponse } from './dto/reconciliation.dto';
import { ReconciliationErrors } from './reconciliation.errors';

/** The longest window the routes and the CLI take (a quarter): a report reads the whole window from Stripe. */
export const MAX_RANGE_DAYS = 92;
const DAY_MS = 86_400_000;
/**
 * Both sides are read this much beyond the window, so a pair split by its edge (a charge at 23:59:59, its invoice
 * paid a second later) is no difference. Only what falls inside is reported.
 */
const EDGE_MS = DAY_MS;
/** Stripe's `types` filter takes at most 20 types per list call. */
const TYPES_PER_CALL = 20;

export interface ReconcileOptions {
  /** Called as Stripe's pages arrive (the CLI's progress on long runs): objects read so far. */
  onProgress?: (what: 'balance transactions' | 'events', read: number) => void;
}

export type ReplayCounts = Record<ReplayOutcome, number>;

const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** The range of the routes and the CLI as dates, or the `422` that says what is wrong with it. */
export function parseRange(range: ReconciliationRangeDto): Window {
  const window = { from: range.from, to: range.to };
  if (window.to <= window.from) throw ReconciliationErrors.emptyRange();
  if (window.to.getTime() - window.from.getTime() > MAX_RANGE_DAYS * DAY_MS) throw ReconciliationErrors.rangeTooLong(MAX_RANGE_DAYS);
  return window;
}

/**
 * Every cent Stripe moved against the earnings ledger (docs/billing.md#reconciliation): Stripe's balance transactions
 * of the platform account (the money that actually moved, whatever webhook told of it) against the ledger's money
 * entries, by Stripe id. `repair` replays the window's events the ledger lacks, through billing's own applier.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly stripe: StripeClient,
    private readonly ledger: LedgerAuditService,
  ) {}

  async report(window: Window, options: ReconcileOptions = {}): Promise<ReconciliationReportResponse> {
    const wide = { from: new Date(window.from.getTime() - EDGE_MS), to: new Date(window.to.getTime() + EDGE_MS) };
    const [movements, entries] = await Promise.all([this.movements(wide, options), this.ledger.moneyEntries(wide.from, wide.to)]);
    return toReportResponse(window, compare(movements, entries, window));
  }

  /**
   * Stores every event of the window (money and subscription types) that `stripe_events` lacks, exactly as the webhook
   * would have, and applies it now through the same applier, oldest first: access and the ledger heal together.
   * Idempotent: a second run finds everything stored and applied. Stripe keeps events 30 days; older ones are gone.
   */
  async repair(window: Window, options: ReconcileOptions = {}): Promise<{ report: ReconciliationReportResponse; replayed: ReplayCounts }> {
    const wide = { from: new Date(window.from.getTime() - EDGE_MS), to: new Date(window.to.getTime() + EDGE_MS) };
    const events = await this.events(wide, options);
    const replayed: ReplayCounts = { recorded: 0, applied: 0, unchanged: 0, ignored: 0 };
    for (const event of events) replayed[await this.ledger.replay(event)]++;
    if (replayed.recorded || replayed.applied) {
      this.logger.warn(`reconciliation repair: ${replayed.recorded} lost Stripe event(s) recorded and applied, ${replayed.applied} stored one(s) applied`);
    }
    return { report: await this.report(window, options), replayed };
  }

  private movements(window: Window, { onProgress }: ReconcileOptions): Promise<StripeMovement[]> {
    return this.stripe.call('list balance transactions', async (stripe) => {
      const movements: StripeMovement[] = [];
      let read = 0;
      // `data.source` expanded: a refund's charge meets the refund rows of the ledger's older, per-charge form.
      const params: Stripe.BalanceTransactionListParams = { created: { gte: seconds(window.from), lt: seconds(window.to) }, limit: 100, expand: ['data.source'] };
      for await (const bt of stripe.balanceTransactions.list(params)) {
        const movement = movementOf(bt);
        if (movement) movements.push(movement);
        if (++read % 100 === 0) onProgress?.('balance transactions', read);
      }
      return movements;
    });
  }

  private async events(window: Window, { onProgress }: ReconcileOptions): Promise<Stripe.Event[]> {
    const events: Stripe.Event[] = [];
    for (let i = 0; i < REPLAYED_EVENT_TYPES.length; i += TYPES_PER_CALL) {
      const types = REPLAYED_EVENT_TYPES.slice(i, i + TYPES_PER_CALL);
      await this.stripe.call('list events', async (stripe) => {
        for await (const event of stripe.events.list({ created: { gte: seconds(window.from), lt: seconds(window.to) }, types: [...types], limit: 100 })) {
          events.push(event);
          if (events.length % 100 === 0) onProgress?.('events', events.length);
        }
      });
    }
    // Stripe lists newest first: applied oldest first, as they were delivered.
    return events.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
  }
}
