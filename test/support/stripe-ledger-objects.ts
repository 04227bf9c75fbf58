import { Answer, fixture, missing, nowSeconds, StripeObject, stripeId } from './stripe-server';

const clone = <T>(value: T): T => structuredClone(value);

const invalid = (param: string, message: string): Answer => [400, { error: { type: 'invalid_request_error', param, message } }];

/**
 * A page of a Stripe list, newest first as Stripe lists: `limit` (default 10, at most 100) and `starting_after`
 * (what the SDK's auto-pagination sends), with `has_more`.
 */
function page(items: StripeObject[], query: StripeObject, url: string): StripeObject {
  const newestFirst = [...items].reverse();
  const limit = Math.min(Number(query.limit ?? 10), 100);
  const after = query.starting_after ? newestFirst.findIndex((o) => o.id === query.starting_after) + 1 : 0;
  const data = newestFirst.slice(after, after + limit);
  return { object: 'list', data: data.map(clone), has_more: after + limit < newestFirst.length, url };
}

/**
 * The money movements of the local Stripe test server that the earnings ledger lists (test/support/stripe-server.ts
 * asks `answer` first): every refund by charge (`GET /v1/refunds?charge=`), application fees and their refunds
 * (`GET /v1/application_fees/:id`, `…/:id/refunds`) and transfers and their reversals (`GET /v1/transfers/:id`,
 * `…/:id/reversals`), shaped from Stripe's fixtures (fixtures/stripe). The test plays Stripe with `applicationFee`,
 * `refundApplicationFee`, `transfer` and `reverseTransfer`; refunds are added by the server as they are made.
 */
export class StripeLedgerObjects {
  /** Every refund made, oldest first (the test's `refund` and the app's `POST /v1/refunds`). */
  readonly refunds: StripeObject[] = [];
  readonly applicationFees = new Map<string, StripeObject>();
  readonly transfers = new Map<string, StripeObject>();
  /** Disputes as last reported (`dispute` of the server), for `GET /v1/disputes/:id`. */
  readonly disputes = new Map<string, StripeObject>();

  /**
   * The answer for a ledger list or read, or undefined when the request is not one. Also the platform's own transfers
   * (`POST /v1/transfers`: `amount`, `currency`, `destination` a connected account of `accounts`, `metadata`,
   * `transfer_group`) and their reversals (`POST /v1/transfers/:id/reversals`: `amount`, default what is left, at most
   * that), each recorded in the balance through `moved`.
   */
  answer(method: string, path: string, query: StripeObject, moved?: { accounts: Set<string>; balance: { transferred(t: StripeObject): void; transferReversed(r: StripeObject): void } }): Answer | undefined {
    if (method === 'POST' && moved) return this.post(path, query, moved);
    if (method !== 'GET') return undefined;
    const [, disputeId] = /^\/v1\/disputes\/([^/]+)$/.exec(path) ?? [];
    if (disputeId) return this.disputes.has(disputeId) ? [200, clone(this.disputes.get(disputeId))] : missing('dispute', disputeId);
    if (path === '/v1/refunds') {
      const matching = this.refunds.filter((r) => (!query.charge || r.charge === query.charge) && (!query.payment_intent || r.payment_intent === query.payment_intent));
      return [200, page(matching, query, '/v1/refunds')];
    }
    const [, feeId, feeRefunds] = /^\/v1\/application_fees\/([^/]+)(\/refunds)?$/.exec(path) ?? [];
    if (feeId) {
      const fee = this.applicationFees.get(feeId);
      if (!fee) return missing('application_fee', feeId);
      return [200, feeRefunds ? page(fee.refunds.data, query, fee.refunds.url) : this.withNewestFirst(fee, 'refunds')];
    }
    const [, transferId, reversals] = /^\/v1\/transfers\/([^/]+)(\/reversals)?$/.exec(path) ?? [];
    if (transferId) {
      const transfer = this.transfers.get(transferId);
      if (!transfer) return missing('transfer', transferId);
      return [200, reversals ? page(transfer.reversals.data, query, transfer.reversals.url) : this.withNewestFirst(transfer, 'reversals')];
    }
    return undefined;
  }

  private post(path: string, body: StripeObject, moved: NonNullable<Parameters<StripeLedgerObjects['answer']>[3]>): Answer | undefined {
    if (path === '/v1/transfers') {
      const amount = Number(body.amount);
      if (!Number.isInteger(amount) || amount <= 0) return invalid('amount', 'Invalid positive integer');
      if (!body.currency) return invalid('currency', 'Missing required param: currency.');
      if (!moved.accounts.has(body.destination)) return invalid('destination', `No such destination: '${body.destination}'`);
      const transfer = this.transfer(body.destination, amount, { currency: String(body.currency).toLowerCase(), sourceTransaction: body.source_transaction ?? null });
      const stored = this.transfers.get(transfer.id)!;
      Object.assign(stored, { metadata: body.metadata ?? {}, transfer_group: body.transfer_group ?? null, description: body.description ?? null });
      moved.balance.transferred(stored);
      return [200, this.withNewestFirst(stored, 'reversals')];
    }
    const [, transferId] = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path) ?? [];
    if (!transferId) return undefined;
    const transfer = this.transfers.get(transferId);
    if (!transfer) return missing('transfer', transferId);
    const left = transfer.amount - transfer.amount_reversed;
    const amount = body.amount === undefined ? left : Number(body.amount);
    if (!Number.isInteger(amount) || amount <= 0 || amount > left) return invalid('amount', `Transfer reversal amount must be between 1 and ${left}`);
    this.reverseTransfer(transferId, amount);
    const reversal = transfer.reversals.data.at(-1);
    Object.assign(reversal, { metadata: body.metadata ?? {} });
    moved.balance.transferReversed(reversal);
    return [200, clone(reversal)];
  }

  /** Keeps a dispute as Stripe reports it now (the server's `dispute`), for `GET /v1/disputes/:id`. */
  addDispute(dispute: StripeObject): void {
    this.disputes.set(dispute.id, clone(dispute));
  }

  /** Keeps a refund Stripe made, for the charge's list. */
  addRefund(refund: StripeObject): void {
    this.refunds.push(clone(refund));
  }

  /** The refunds of a charge as Stripe lists them (newest first). */
  refundsOf(chargeId: string): StripeObject[] {
    return this.refunds.filter((r) => r.charge === chargeId).reverse().map(clone);
  }

  /** The platform's application fee on a destination charge paid to `account` (`originating_transaction`: the platform's charge). */
  applicationFee(account: string, amount: number, options: { originatingCharge?: string | null; currency?: string; created?: number } = {}): StripeObject {
    const id = stripeId('fee');
    const charge = stripeId('py');
    const fee = {
      ...fixture('application_fee'),
      id,
      account,
      amount,
      amount_refunded: 0,
      balance_transaction: stripeId('txn'),
      charge,
      created: options.created ?? nowSeconds(),
      currency: options.currency ?? 'usd',
      fee_source: { charge, type: 'charge' },
      originating_transaction: options.originatingCharge ?? null,
      refunded: false,
      refunds: { data: [], has_more: false, object: 'list', url: `/v1/application_fees/${id}/refunds` },
    };
    this.applicationFees.set(id, fee);
    return this.withNewestFirst(fee, 'refunds');
  }

  /** Refunds `amount` (default: what is left) of the fee; answers the fee as `application_fee.refunded` carries it. */
  refundApplicationFee(feeId: string, amount?: number): StripeObject {
    const fee = this.applicationFees.get(feeId)!;
    const refund = { ...fixture('fee_refund'), id: stripeId('fr'), amount: amount ?? fee.amount - fee.amount_refunded, currency: fee.currency, fee: fee.id, created: nowSeconds(), balance_transaction: stripeId('txn') };
    fee.refunds.data.push(refund);
    fee.amount_refunded += refund.amount;
    fee.refunded = fee.amount_refunded >= fee.amount;
    return this.withNewestFirst(fee, 'refunds');
  }

  /** The latest refund of the fee (as `application_fee.refund.updated` carries it). */
  lastFeeRefund(feeId: string): StripeObject {
    return clone(this.applicationFees.get(feeId)!.refunds.data.at(-1));
  }

  /** A transfer to `destination` (a connected account), e.g. a destination charge's share (`source_transaction`). */
  transfer(destination: string, amount: number, options: { sourceTransaction?: string | null; currency?: string; created?: number } = {}): StripeObject {
    const id = stripeId('tr');
    const transfer = {
      ...fixture('transfer'),
      id,
      amount,
      amount_reversed: 0,
      balance_transaction: stripeId('txn'),
      created: options.created ?? nowSeconds(),
      currency: options.currency ?? 'usd',
      destination,
      destination_payment: stripeId('py'),
      reversals: { data: [], has_more: false, object: 'list', url: `/v1/transfers/${id}/reversals` },
      reversed: false,
      source_transaction: options.sourceTransaction ?? null,
    };
    this.transfers.set(id, transfer);
    return this.withNewestFirst(transfer, 'reversals');
  }

  /** Reverses `amount` (default: what is left) of the transfer; answers the transfer as `transfer.reversed` carries it. */
  reverseTransfer(transferId: string, amount?: number): StripeObject {
    const transfer = this.transfers.get(transferId)!;
    const reversal = {
      ...fixture('transfer_reversal'),
      id: stripeId('trr'),
      amount: amount ?? transfer.amount - transfer.amount_reversed,
      currency: transfer.currency,
      transfer: transfer.id,
      created: nowSeconds(),
      balance_transaction: stripeId('txn'),
    };
    transfer.reversals.data.push(reversal);
    transfer.amount_reversed += reversal.amount;
    transfer.reversed = transfer.amount_reversed >= transfer.amount;
    return this.withNewestFirst(transfer, 'reversals');
  }

  /** A copy whose embedded list is newest first, as Stripe embeds it (stored oldest first). */
  private withNewestFirst(object: StripeObject, list: 'refunds' | 'reversals'): StripeObject {
    const copy = clone(object);
    copy[list].data.reverse();
    return copy;
  }
}
