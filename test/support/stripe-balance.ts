import { fixture, nowSeconds, StripeObject, stripeId } from './stripe-server';

type Answer = [status: number, body: unknown, headers?: Record<string, string>];

const clone = <T>(value: T): T => structuredClone(value);

/** Stripe's `created` range filter (`created[gte]=…&created[lt]=…`, or `created=…`) against a Unix time. */
function inRange(created: number, filter: unknown): boolean {
  if (filter === undefined) return true;
  if (typeof filter !== 'object' || filter === null) return created === Number(filter);
  const f = filter as Record<string, string>;
  return (
    (f.gte === undefined || created >= Number(f.gte)) &&
    (f.gt === undefined || created > Number(f.gt)) &&
    (f.lte === undefined || created <= Number(f.lte)) &&
    (f.lt === undefined || created < Number(f.lt))
  );
}

/**
 * A page of a Stripe list, newest first (as Stripe lists balance transactions and events): `limit` (default 10, at
 * most 100), `starting_after` / `ending_before` (an id of the previous page), `has_more`.
 */
function page(items: StripeObject[], query: StripeObject, url: string): StripeObject {
  const sorted = [...items].reverse().sort((a, b) => b.created - a.created);
  const limit = Math.min(100, Math.max(1, Number(query.limit ?? 10)));
  let start = 0;
  let end = sorted.length;
  if (query.starting_after) start = sorted.findIndex((o) => o.id === query.starting_after) + 1;
  if (query.ending_before) end = Math.max(0, sorted.findIndex((o) => o.id === query.ending_before));
  const from = query.ending_before ? Math.max(start, end - limit) : start;
  const data = sorted.slice(from, Math.min(end, from + limit));
  return { object: 'list', data, has_more: query.ending_before ? from > start : from + limit < end, url };
}

/**
 * Stripe's history at the local Stripe server (test/support/stripe-server.ts): the platform account's balance
 * transactions, which the server's test helpers record as real Stripe would (a charge +amount, a refund −amount, a
 * dispute's withdrawal −amount and reinstatement +amount, and for a destination charge the transfer of the amount to
 * the connected account and the application fee back), and the events a test publishes. Serves
 * `GET /v1/balance_transactions(/:id)` and `GET /v1/events(/:id)` with Stripe's pagination, `created` filters,
 * `type`/`types[]`/`source` and `expand[]=data.source`.
 */
export class StripeBalance {
  /** Balance transactions, oldest first, `source` as an id. */
  readonly transactions: StripeObject[] = [];
  /** Events a test published (`publish`), oldest first. */
  readonly events: StripeObject[] = [];
  /** The object behind each source id, for `expand[]=data.source`. */
  private readonly sources = new Map<string, StripeObject>();
  /** Disputes whose withdrawal and reinstatement are recorded, by dispute id. */
  private readonly disputes = new Map<string, Set<'withdrawn' | 'reinstated'>>();

  /** Registers an event so `events.list` returns it (Stripe keeps every event 30 days, delivered or not). */
  publish<T extends StripeObject>(event: T): T {
    this.events.push(clone(event));
    return event;
  }

  /** A payment intent succeeded: its charge; for a destination charge also the transfer and the application fee. */
  charged(intent: StripeObject, destination?: string | null): void {
    const created = intent.created ?? nowSeconds();
    const charge = {
      ...fixture('charge'),
      id: intent.latest_charge,
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      application_fee_amount: intent.application_fee_amount,
      created,
      currency: intent.currency,
      customer: intent.customer,
      payment_intent: intent.id,
      refunded: false,
      transfer_data: destination ? { amount: null, destination } : null,
    };
    this.record('charge', 'charge', charge, intent.amount, created);
    if (!destination) return;
    const transfer = { id: stripeId('tr'), object: 'transfer', amount: intent.amount, currency: intent.currency, created, destination, source_transaction: charge.id, reversed: false, amount_reversed: 0, metadata: {} };
    this.record('transfer', 'transfer', transfer, -intent.amount, created);
    if (intent.application_fee_amount == null) return;
    const fee = { id: stripeId('fee'), object: 'application_fee', amount: intent.application_fee_amount, amount_refunded: 0, account: destination, charge: charge.id, currency: intent.currency, created, originating_transaction: charge.id, refunded: false };
    this.record('application_fee', 'fee', fee, intent.application_fee_amount, created);
  }

  /** A refund (Stripe's `refund` object) succeeded: the platform gives its amount back. */
  refunded(refund: StripeObject): void {
    this.record('refund', 'refund', refund, -refund.amount, refund.created ?? nowSeconds());
  }

  /**
   * A dispute as Stripe reports it: its funds are withdrawn once (unless it is only an inquiry, `warning_*`), and
   * given back once when it is `won`.
   */
  disputed<T extends StripeObject>(dispute: T): T {
    const done = this.disputes.get(dispute.id) ?? new Set();
    this.disputes.set(dispute.id, done);
    if (String(dispute.status).startsWith('warning')) return dispute;
    if (!done.has('withdrawn')) {
      done.add('withdrawn');
      this.record('adjustment', 'dispute', dispute, -dispute.amount, dispute.created ?? nowSeconds());
    }
    if (dispute.status === 'won' && !done.has('reinstated')) {
      done.add('reinstated');
      this.record('adjustment', 'dispute_reversal', dispute, dispute.amount, nowSeconds());
    }
    return dispute;
  }

  /** A transfer the platform made from its balance (`POST /v1/transfers`): −amount. */
  transferred(transfer: StripeObject): void {
    this.record('transfer', 'transfer', transfer, -transfer.amount, transfer.created ?? nowSeconds());
  }

  /** A reversal of a transfer (`POST /v1/transfers/:id/reversals`): the amount comes back, +amount. */
  transferReversed(reversal: StripeObject): void {
    this.record('transfer_refund', 'transfer_reversal', reversal, reversal.amount, reversal.created ?? nowSeconds());
  }

  /** A payout to the platform's bank: the platform's own money, which reconciliation skips. */
  payout(amount: number, currency = 'usd'): void {
    const created = nowSeconds();
    this.record('payout', 'payout', { id: stripeId('po'), object: 'payout', amount, currency, created }, -amount, created);
  }

  /** Changes the amount Stripe reports for a source (a mismatch only reconciliation would see). */
  amend(sourceId: string, amount: number): void {
    const bt = this.transactions.find((t) => t.source === sourceId);
    if (!bt) throw new Error(`no balance transaction of ${sourceId}`);
    Object.assign(bt, { amount, net: amount - bt.fee });
  }

  /** Balance transactions of a source. */
  of(sourceId: string): StripeObject[] {
    return clone(this.transactions.filter((t) => t.source === sourceId));
  }

  /** `GET /v1/balance_transactions`, `GET /v1/events` and their retrieves; undefined for other requests. */
  answer(method: string, path: string, query: StripeObject): Answer | undefined {
    if (method !== 'GET') return undefined;
    const [, resource, id] = /^\/v1\/(balance_transactions|events)(?:\/([^/]+))?$/.exec(path) ?? [];
    if (!resource) return undefined;
    const items = resource === 'events' ? this.events : this.transactions.map((t) => this.expanded(t, query.expand ?? []));
    if (id) {
      const found = items.find((o) => o.id === id);
      const what = resource === 'events' ? 'event' : 'balance_transaction';
      return found
        ? [200, clone(found)]
        : [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'` } }];
    }
    const types: string[] | undefined = query.types ?? (query.type ? [query.type] : undefined);
    const matching = items.filter(
      (o) => inRange(o.created, query.created) && (!types || types.includes(o.type)) && (!query.source || (typeof o.source === 'string' ? o.source : o.source?.id) === query.source),
    );
    return [200, clone(page(matching, query, `/v1/${resource}`))];
  }

  private expanded(bt: StripeObject, expand: string[]): StripeObject {
    return expand.includes('data.source') && bt.source && this.sources.has(bt.source) ? { ...bt, source: this.sources.get(bt.source) } : bt;
  }

  private record(type: string, reportingCategory: string, source: StripeObject, amount: number, created: number): void {
    this.sources.set(source.id, clone(source));
    this.transactions.push({
      id: stripeId('txn'),
      object: 'balance_transaction',
      amount,
      available_on: created + 2 * 86_400,
      balance_type: 'payments',
      created,
      currency: source.currency,
      description: null,
      exchange_rate: null,
      fee: 0,
      fee_details: [],
      net: amount,
      reporting_category: reportingCategory,
      source: source.id,
      status: 'pending',
      type,
    } satisfies StripeObject);
  }
}
