/* eslint-disable @typescript-eslint/no-explicit-any -- Stripe objects are untyped JSON here, built from the fixtures */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { StripeBalance } from './stripe-balance';
import { StripeConnectAccounts } from './stripe-connect';
import { StripeLedgerObjects } from './stripe-ledger-objects';

/** A Stripe API object as JSON. */
export type StripeObject = Record<string, any>;

export type FixtureName =
  | 'account'
  | 'account_link'
  | 'application_fee'
  | 'charge'
  | 'checkout.session'
  | 'customer'
  | 'dispute'
  | 'event'
  | 'fee_refund'
  | 'invoice'
  | 'payment_intent'
  | 'price'
  | 'product'
  | 'refund'
  | 'subscription'
  | 'transfer'
  | 'transfer_reversal';

const FIXTURES = join(__dirname, '..', 'fixtures', 'stripe');
const cache = new Map<FixtureName, string>();

/** A fresh copy of Stripe's own example object (test/fixtures/stripe, from stripe/openapi's fixtures3.json). */
export function fixture(name: FixtureName): StripeObject {
  if (!cache.has(name)) cache.set(name, readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
  return JSON.parse(cache.get(name)!);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** An id shaped like Stripe's (`cus_QXg1o8vcGmoR32`). */
export function stripeId(prefix: string): string {
  return `${prefix}_${Array.from({ length: 16 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
/** The fee Stripe takes for the platform on an invoice of a subscription with `application_fee_percent` (none without). */
const applicationFee = (amount: number, percent: number | null | undefined): number | null => (percent == null ? null : Math.round((amount * percent) / 100));
const DAY = 86_400;
const clone = <T>(value: T): T => structuredClone(value);

/** Parses a form body as Stripe does: `line_items[0][price]=p&metadata[k]=v` → `{ line_items: [{ price: 'p' }], metadata: { k: 'v' } }`. */
export function parseStripeForm(body: string): StripeObject {
  const out: StripeObject = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/[[\]]+/).filter(Boolean);
    let node: any = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(path[i + 1]) ? [] : {};
    });
  }
  return out;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: StripeObject;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
}

interface StripeErrorBody {
  type: string;
  code?: string;
  message?: string;
  decline_code?: string;
}

export type Answer = [status: number, body: unknown, headers?: Record<string, string>];

export const stripeError = (status: number, error: StripeErrorBody): Answer => [status, { error: { message: error.type, ...error } }];
export const missing = (what: string, id: string): Answer =>
  stripeError(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}: '${id}'` });

/**
 * A Stripe-compatible HTTP server on 127.0.0.1 (random port) for the endpoints the app calls through the official SDK:
 * customers, products and prices (create), checkout sessions (create, retrieve, expire), subscriptions (retrieve, update, cancel),
 * payment intents (retrieve). Bodies are parsed like Stripe's (nested `metadata[creator_id]`), every request is recorded
 * with its `Idempotency-Key`, and a repeated key replays the first answer as Stripe does. Answers are built from
 * Stripe's fixtures with the ids, amounts, statuses and timestamps of the test. The test plays the buyer and Stripe's
 * billing with `completeCheckout`, `updateSubscription`, `invoice` and `refund`.
 */
export class StripeTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly customers = new Map<string, StripeObject>();
  readonly products = new Map<string, StripeObject>();
  readonly prices = new Map<string, StripeObject>();
  readonly sessions = new Map<string, StripeObject>();
  readonly subscriptions = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  /** Coupons (`POST /v1/coupons`), applied to a checkout by its `discounts: [{ coupon }]`. */
  readonly coupons = new Map<string, Stripe.Coupon>();
  /** Invoices built by `invoice` (paid ones are listed by `GET /v1/invoice_payments`). */
  readonly invoices = new Map<string, StripeObject>();
  /** Stripe Connect: connected accounts and their onboarding links (test/support/stripe-connect.ts). */
  readonly connect = new StripeConnectAccounts();
  /** Every refund by charge, application fees, transfers and their reversals (test/support/stripe-ledger-objects.ts). */
  readonly ledger = new StripeLedgerObjects();
  /** Balance transactions the helpers below record as Stripe would, and published events (test/support/stripe-balance.ts). */
  readonly balance = new StripeBalance();
  /** Price moves of subscription items with proration (`POST /v1/subscriptions/:id` with `items`), oldest first. */
  readonly prorations: { subscription: string; item: string; from: string; to: string; behavior: string; at: number }[] = [];
  /** Refunds the app asked for (`POST /v1/refunds`). */
  readonly refunds: StripeObject[] = [];
  /** What `refund` gave back so far, by payment intent. */
  private readonly refundedTotals = new Map<string, number>();
  /** The payment intent that paid each paid invoice, by invoice id. */
  private readonly invoicePayments = new Map<string, string>();
  /** What a session was created with beyond its own fields (`line_items`, `subscription_data`, `payment_intent_data`). */
  private readonly sessionParams = new Map<string, StripeObject>();
  private readonly replays = new Map<string, Answer>();
  private readonly failures: { match: RegExp; answer: Answer; left: number }[] = [];
  private server?: Server;
  url = '';

  static async start(): Promise<StripeTestServer> {
    const stripe = new StripeTestServer();
    stripe.server = createServer((req, res) => void stripe.handle(req, res));
    await new Promise<void>((resolve) => stripe.server!.listen(0, '127.0.0.1', resolve));
    stripe.url = `http://127.0.0.1:${(stripe.server.address() as AddressInfo).port}`;
    return stripe;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    // The SDK keeps its sockets alive: end them, or close() waits for their idle timeout.
    this.server.closeAllConnections();
    await closed;
  }

  /** The next `times` requests whose `METHOD /path` matches answer this Stripe error (not retried by the SDK). */
  failNext(match: RegExp, status: number, error: StripeErrorBody, times = 1): void {
    this.failures.push({ match, answer: [status, { error: { message: error.type, ...error } }, { 'stripe-should-retry': 'false' }], left: times });
  }

  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  /** The buyer paid: the session completes; subscription mode starts a subscription, payment mode a payment intent. */
  completeCheckout(
    sessionId: string,
    options: { status?: string; periodStart?: number; periodEnd?: number } = {},
  ): { session: StripeObject; subscription?: StripeObject; paymentIntent?: StripeObject } {
    const session = this.sessions.get(sessionId)!;
    const params = this.sessionParams.get(sessionId)!;
    const customer = this.customers.get(session.customer);
    Object.assign(session, {
      status: 'complete',
      payment_status: 'paid',
      customer_details: { ...fixture('checkout.session').customer_details, email: customer?.email ?? null },
    });
    // A coupon counts a redemption when its checkout is paid.
    const coupon = session.discounts?.[0]?.coupon ? this.coupons.get(session.discounts[0].coupon) : undefined;
    if (coupon) coupon.times_redeemed++;
    if (session.mode === 'subscription') {
      const price = this.prices.get(params.line_items[0].price)!;
      const trialDays = Number(params.subscription_data?.trial_period_days ?? 0);
      const subscription = this.newSubscription(session.customer, price, params.subscription_data?.metadata ?? {}, { ...options, trialDays });
      // The coupon stays on the subscription (Stripe lists its discounts), discounting the invoices its duration covers.
      if (coupon) subscription.discounts = [`di_${coupon.id}_${subscription.id}`];
      Object.assign(session, { subscription: subscription.id, invoice: subscription.latest_invoice });
      // Connect (destination charges): the subscription keeps its fee percent and destination, and each invoice's
      // payment intent carries the fee Stripe takes for the platform.
      const feePercent = params.subscription_data?.application_fee_percent;
      const destination = params.subscription_data?.transfer_data?.destination;
      Object.assign(subscription, {
        application_fee_percent: feePercent === undefined ? null : Number(feePercent),
        transfer_data: destination ? { amount_percent: null, destination } : null,
      });
      const fee = applicationFee(price.unit_amount, subscription.application_fee_percent);
      this.invoicePayments.set(subscription.latest_invoice, this.newPaymentIntent({ ...session, amount_total: coupon ? session.amount_total : price.unit_amount, currency: price.currency }, {}, fee, destination).id);
      return { session: clone(session), subscription: clone(subscription) };
    }
    const fee = params.payment_intent_data?.application_fee_amount;
    const destination = params.payment_intent_data?.transfer_data?.destination;
    const paymentIntent = this.newPaymentIntent(session, params.payment_intent_data?.metadata ?? {}, fee === undefined ? null : Number(fee), destination);
    if (destination) paymentIntent.transfer_data = { destination };
    session.payment_intent = paymentIntent.id;
    return { session: clone(session), paymentIntent: clone(paymentIntent) };
  }

  /** Stripe's side of a subscription changing (renewal, failed payment, cancellation). Periods live on the item. */
  updateSubscription(
    id: string,
    patch: { status?: string; cancel_at_period_end?: boolean; canceled_at?: number | null; ended_at?: number | null; periodStart?: number; periodEnd?: number },
  ): StripeObject {
    const subscription = this.subscriptions.get(id)!;
    const { periodStart, periodEnd, ...fields } = patch;
    Object.assign(subscription, fields);
    const item = subscription.items.data[0];
    if (periodStart !== undefined) item.current_period_start = periodStart;
    if (periodEnd !== undefined) item.current_period_end = periodEnd;
    return clone(subscription);
  }

  /** The payment intent that paid this invoice. */
  invoicePaymentIntent(invoiceId: string): StripeObject {
    return clone(this.paymentIntents.get(this.invoicePayments.get(invoiceId)!)!);
  }

  subscription(id: string): StripeObject {
    return clone(this.subscriptions.get(id)!);
  }

  /** What the app created the Checkout session with (form body parsed: `subscription_data`, `payment_intent_data`…). */
  checkoutParams(sessionId: string): StripeObject {
    return clone(this.sessionParams.get(sessionId)!);
  }

  /**
   * An invoice of the subscription's current period, paid or (after a failed attempt) open. `first`: the one checkout
   * paid (the subscription's `latest_invoice`, paid by the checkout's payment intent); else a renewal, whose payment
   * intent is created when it is paid (with `applicationFee`, as Connect's `application_fee_percent` would set it).
   * `billingReason` and `amount`: another kind of invoice of the subscription (a proration of `subscription_update`,
   * a `manual` one) for another amount than the price. `discount`: what a coupon took off it (`amount` is then what
   * was paid; `total_discount_amounts` says the discount, `subtotal` the amount before it).
   */
  invoice(
    subscriptionId: string,
    paid: boolean,
    options: { first?: boolean; applicationFee?: number | null; at?: number; billingReason?: string; amount?: number; discount?: number } = {},
  ): StripeObject {
    const subscription = this.subscriptions.get(subscriptionId)!;
    const item = subscription.items.data[0];
    const amount = options.amount ?? item.price.unit_amount;
    const base = fixture('invoice');
    const id = options.first ? subscription.latest_invoice : stripeId('in');
    const now = options.at ?? nowSeconds();
    if (paid && !this.invoicePayments.has(id)) {
      const fee = options.applicationFee !== undefined ? options.applicationFee : applicationFee(amount, subscription.application_fee_percent);
      const intent = this.newPaymentIntent({ amount_total: amount, currency: subscription.currency, customer: subscription.customer }, {}, fee, subscription.transfer_data?.destination);
      this.invoicePayments.set(id, intent.id);
    }
    const period = { start: item.current_period_start, end: item.current_period_end };
    const line = {
      ...base.lines.data[0],
      id: stripeId('il'),
      amount,
      subtotal: amount,
      currency: subscription.currency,
      description: `1 × subscription (at ${amount / 100} / month)`,
      invoice: id,
      period,
      parent: {
        type: 'subscription_item_details',
        invoice_item_details: null,
        subscription_item_details: { invoice_item: null, proration: options.billingReason === 'subscription_update', proration_details: { credited_items: null }, subscription: subscriptionId, subscription_item: item.id },
      },
    };
    const invoice: StripeObject = {
      ...base,
      id,
      customer: subscription.customer,
      currency: subscription.currency,
      status: paid ? 'paid' : 'open',
      billing_reason: options.billingReason ?? (options.first ? 'subscription_create' : 'subscription_cycle'),
      amount_due: amount,
      amount_paid: paid ? amount : 0,
      amount_remaining: paid ? 0 : amount,
      amount_overpaid: 0,
      subtotal: amount + (options.discount ?? 0),
      subtotal_excluding_tax: amount + (options.discount ?? 0),
      total_discount_amounts: options.discount ? [{ amount: options.discount, discount: `di_${id}` }] : [],
      total: amount,
      total_excluding_tax: amount,
      attempted: true,
      attempt_count: 1,
      auto_advance: !paid,
      created: now,
      due_date: null,
      effective_at: now,
      from_invoice: null,
      last_finalization_error: null,
      next_payment_attempt: paid ? null : now + 3 * DAY,
      period_start: period.start,
      period_end: period.end,
      shipping_cost: null,
      webhooks_delivered_at: null,
      status_transitions: { ...base.status_transitions, finalized_at: now, paid_at: paid ? now : null },
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { metadata: subscription.metadata, subscription: subscriptionId } },
      lines: { ...base.lines, data: [line], url: `/v1/invoices/${id}/lines` },
    };
    delete invoice.subscription; // not a field of the current API version: `parent.subscription_details` says it
    this.invoices.set(id, invoice);
    return clone(invoice);
  }

  /**
   * The payment intent's charge after a refund: in full, or of `amount` more than before (`charge.refunded` carries
   * the charge's refunded total, `amount_refunded`, and `refunded` only once it is whole).
   */
  refund(paymentIntentId: string, options: { amount?: number } = {}): StripeObject {
    const intent = this.paymentIntents.get(paymentIntentId)!;
    const base = fixture('charge');
    const now = nowSeconds();
    const chargeId = intent.latest_charge;
    const before = this.refundedTotals.get(intent.id) ?? 0;
    const amount = options.amount ?? intent.amount - before;
    const total = before + amount;
    this.refundedTotals.set(intent.id, total);
    const refund = { ...fixture('refund'), id: stripeId('re'), amount, charge: chargeId, currency: intent.currency, created: now, payment_intent: intent.id };
    this.ledger.addRefund(refund);
    this.balance.refunded(refund);
    return {
      ...base,
      id: chargeId,
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: total,
      application_fee_amount: intent.application_fee_amount,
      captured: true,
      refunded: total >= intent.amount,
      created: now,
      currency: intent.currency,
      customer: intent.customer,
      description: null,
      payment_intent: intent.id,
      receipt_url: null,
      balance_transaction: stripeId('txn'),
      source: null,
      refunds: { ...base.refunds, data: [refund], url: `/v1/charges/${chargeId}/refunds` },
    };
  }

  /** A dispute (chargeback) of the payment intent's charge: `needs_response` (funds withdrawn) unless said otherwise. */
  dispute(paymentIntentId: string, options: { amount?: number; status?: string; id?: string } = {}): StripeObject {
    const intent = this.paymentIntents.get(paymentIntentId)!;
    const dispute = this.balance.disputed({
      ...fixture('dispute'),
      id: options.id ?? stripeId('dp'),
      amount: options.amount ?? intent.amount,
      currency: intent.currency,
      charge: intent.latest_charge,
      payment_intent: intent.id,
      reason: 'fraudulent',
      status: options.status ?? 'needs_response',
      created: nowSeconds(),
    });
    this.ledger.addDispute(dispute);
    return dispute;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const body = parseStripeForm(method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8'));
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({ method, path: url.pathname, body, idempotencyKey, stripeVersion: req.headers['stripe-version'] as string | undefined });

    const replay = method === 'POST' && idempotencyKey ? this.replays.get(idempotencyKey) : undefined;
    const [status, answer, headers = {}] = replay
      ? [replay[0], replay[1], { ...replay[2], 'idempotent-replayed': 'true' }]
      : this.answer(req, method, url.pathname, body);
    if (method === 'POST' && idempotencyKey && !replay && status < 500) this.replays.set(idempotencyKey, [status, answer, headers]);
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req'), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...headers });
    res.end(JSON.stringify(answer));
  }

  private answer(req: IncomingMessage, method: string, path: string, body: StripeObject): Answer {
    if (!/^Bearer sk_test_\w+/.test(req.headers.authorization ?? '')) {
      return stripeError(401, { type: 'invalid_request_error', message: 'Invalid API Key provided' });
    }
    const failure = this.failures.find((f) => f.left > 0 && f.match.test(`${method} ${path}`));
    if (failure) {
      failure.left--;
      return failure.answer;
    }
    const connect = this.connect.answer(method, path, body);
    if (connect) return connect;
    const history = this.balance.answer(method, path, body);
    if (history) return history;
    const ledger = this.ledger.answer(method, path, body, { accounts: this.connect.ids(), balance: this.balance });
    if (ledger) return ledger;
    const [, resource, id] = /^\/v1\/(customers|products|prices|coupons|checkout\/sessions|subscriptions|payment_intents|refunds|invoice_payments)(?:\/([^/]+))?$/.exec(path) ?? [];
    if (method === 'POST' && !id && resource === 'refunds') return this.createRefund(body);
    if (method === 'GET' && !id && resource === 'invoice_payments') return [200, this.listInvoicePayments(body)];
    if (method === 'POST' && !id) {
      if (resource === 'customers') return [200, this.createCustomer(body)];
      if (resource === 'products') return [200, this.createProduct(body)];
      if (resource === 'prices') return this.createPrice(body);
      if (resource === 'coupons') return this.createCoupon(body);
      if (resource === 'checkout/sessions') return this.createSession(body);
    }
    const expiring = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(path);
    if (method === 'POST' && expiring) return this.expireSession(expiring[1]);
    if (method === 'GET' && id && resource === 'checkout/sessions') return this.found(this.sessions, 'checkout.session', id);
    if (method === 'GET' && id && resource === 'coupons') return this.found(this.coupons as Map<string, StripeObject>, 'coupon', id);
    if (method === 'GET' && id && resource === 'payment_intents') return this.found(this.paymentIntents, 'payment_intent', id);
    if (id && resource === 'subscriptions') {
      if (method === 'GET') return this.found(this.subscriptions, 'subscription', id);
      if (method === 'POST') return this.updateFromApi(id, body);
      if (method === 'DELETE') return this.cancelFromApi(id);
    }
    return stripeError(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` });
  }

  private createRefund(body: StripeObject): Answer {
    const intent = this.paymentIntents.get(body.payment_intent);
    if (!intent) return missing('payment_intent', body.payment_intent);
    const refund = { ...fixture('refund'), id: stripeId('re'), amount: intent.amount, currency: intent.currency, payment_intent: intent.id, charge: intent.latest_charge, reason: body.reason ?? null, status: 'succeeded', created: nowSeconds() };
    this.refunds.push(refund);
    this.ledger.addRefund(refund);
    this.balance.refunded(refund);
    this.refundedTotals.set(intent.id, (this.refundedTotals.get(intent.id) ?? 0) + refund.amount);
    return [200, clone(refund)];
  }

  /** By `invoice` or by `payment[payment_intent]`; `expand[]` of `data.payment.payment_intent` and `data.invoice` honoured. */
  private listInvoicePayments(query: StripeObject): StripeObject {
    const byIntent = query.payment?.payment_intent;
    const pairs = [...this.invoicePayments].filter(([invoice, intent]) => (query.invoice ? invoice === query.invoice : byIntent ? intent === byIntent : true));
    const expand: string[] = query.expand ?? [];
    const data = pairs.map(([invoice, intent]) => ({
      id: stripeId('inpay'),
      object: 'invoice_payment',
      invoice: expand.includes('data.invoice') && this.invoices.has(invoice) ? clone(this.invoices.get(invoice)) : invoice,
      status: 'paid',
      is_default: true,
      payment: { type: 'payment_intent', payment_intent: expand.includes('data.payment.payment_intent') ? clone(this.paymentIntents.get(intent)) : intent },
    }));
    return { object: 'list', data, has_more: false, url: '/v1/invoice_payments' };
  }

  private found(map: Map<string, StripeObject>, what: string, id: string): Answer {
    const object = map.get(id);
    return object ? [200, clone(object)] : missing(what, id);
  }

  private createCustomer(body: StripeObject): StripeObject {
    const customer = { ...fixture('customer'), id: stripeId('cus'), created: nowSeconds(), email: body.email ?? null, metadata: body.metadata ?? {}, discount: null };
    this.customers.set(customer.id, customer);
    return clone(customer);
  }

  private createProduct(body: StripeObject): StripeObject {
    const product = {
      ...fixture('product'),
      id: stripeId('prod'),
      name: body.name,
      description: body.description ?? null,
      metadata: body.metadata ?? {},
      default_price: null,
      created: nowSeconds(),
      updated: nowSeconds(),
      package_dimensions: null,
      type: 'service',
    };
    this.products.set(product.id, product);
    return clone(product);
  }

  private createPrice(body: StripeObject): Answer {
    if (!this.products.has(body.product)) return missing('product', body.product);
    const price = {
      ...fixture('price'),
      id: stripeId('price'),
      product: body.product,
      currency: body.currency,
      unit_amount: Number(body.unit_amount),
      unit_amount_decimal: String(body.unit_amount),
      metadata: body.metadata ?? {},
      created: nowSeconds(),
      transform_quantity: null,
      recurring: body.recurring
        ? { ...fixture('price').recurring, interval: body.recurring.interval, interval_count: Number(body.recurring.interval_count ?? 1) }
        : null,
      type: body.recurring ? 'recurring' : 'one_time',
    };
    this.prices.set(price.id, price);
    return [200, clone(price)];
  }

  /**
   * `POST /v1/coupons`: `percent_off`, or `amount_off` with `currency`; `duration` (`once`, `repeating` with
   * `duration_in_months`, `forever`), as the SDK's `CouponCreateParams` types them.
   */
  private createCoupon(body: StripeObject): Answer {
    const percentOff = body.percent_off === undefined ? null : Number(body.percent_off);
    const amountOff = body.amount_off === undefined ? null : Number(body.amount_off);
    if ((percentOff === null) === (amountOff === null) || (amountOff !== null && !body.currency)) {
      return stripeError(400, { type: 'invalid_request_error', message: 'You must pass either `percent_off` or `amount_off` with `currency`' });
    }
    if (!['once', 'repeating', 'forever'].includes(body.duration) || (body.duration === 'repeating') !== (body.duration_in_months !== undefined)) {
      return stripeError(400, { type: 'invalid_request_error', message: 'Invalid duration (`duration_in_months` goes with `repeating` only)' });
    }
    const coupon: Stripe.Coupon = {
      id: body.id ?? stripeId('co'),
      object: 'coupon',
      amount_off: amountOff,
      created: nowSeconds(),
      currency: body.currency ?? null,
      duration: body.duration,
      duration_in_months: body.duration_in_months === undefined ? null : Number(body.duration_in_months),
      livemode: false,
      max_redemptions: body.max_redemptions === undefined ? null : Number(body.max_redemptions),
      metadata: body.metadata ?? {},
      name: body.name ?? null,
      percent_off: percentOff,
      redeem_by: null,
      times_redeemed: 0,
      valid: true,
    };
    this.coupons.set(coupon.id, coupon);
    return [200, clone(coupon)];
  }

  private createSession(body: StripeObject): Answer {
    if (body.customer && !this.customers.has(body.customer)) return missing('customer', body.customer);
    const items: StripeObject[] = body.line_items ?? [];
    const unknown = items.find((item) => item.price && !this.prices.has(item.price));
    if (unknown) return missing('price', unknown.price);
    const amountOf = (item: StripeObject) => (item.price ? this.prices.get(item.price)!.unit_amount : Number(item.price_data.unit_amount)) * Number(item.quantity ?? 1);
    const amount = items.reduce((sum, item) => sum + amountOf(item), 0);
    const currency = items[0]?.price ? this.prices.get(items[0].price)!.currency : items[0]?.price_data?.currency;
    const discounts: StripeObject[] = body.discounts ?? [];
    const unknownCoupon = discounts.find((d) => d.coupon && !this.coupons.has(d.coupon));
    if (unknownCoupon) return missing('coupon', unknownCoupon.coupon);
    const coupon = discounts[0]?.coupon ? this.coupons.get(discounts[0].coupon)! : null;
    const discount = !coupon ? 0 : coupon.percent_off !== null ? Math.round((amount * coupon.percent_off) / 100) : Math.min(amount, coupon.amount_off ?? 0);
    const id = stripeId('cs_test');
    const now = nowSeconds();
    const session = {
      ...fixture('checkout.session'),
      id,
      mode: body.mode,
      customer: body.customer ?? null,
      client_reference_id: body.client_reference_id ?? null,
      metadata: body.metadata ?? {},
      success_url: body.success_url,
      cancel_url: body.cancel_url ?? null,
      url: `https://checkout.stripe.com/c/pay/${id}`,
      amount_subtotal: amount,
      amount_total: amount - discount,
      discounts: coupon ? [{ coupon: coupon.id, promotion_code: null }] : [],
      currency,
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: null,
      subscription: null,
      invoice: null,
      customer_details: null,
      created: now,
      expires_at: now + DAY,
      currency_conversion: null,
      shipping_cost: null,
      shipping_address_collection: null,
      total_details: { amount_discount: discount, amount_shipping: 0, amount_tax: 0 },
    };
    this.sessions.set(id, session);
    this.sessionParams.set(id, body);
    return [200, clone(session)];
  }

  /** `POST /v1/checkout/sessions/:id/expire`: only an open session can be expired, as at Stripe. */
  private expireSession(id: string): Answer {
    const session = this.sessions.get(id);
    if (!session) return missing('checkout.session', id);
    if (session.status !== 'open') {
      return stripeError(400, { type: 'invalid_request_error', message: `Only Checkout Sessions with a status of \`open\` can be expired. This Checkout Session has a status of \`${session.status}\`.` });
    }
    Object.assign(session, { status: 'expired', url: null });
    return [200, clone(session)];
  }

  /** `DELETE /v1/subscriptions/:id`: cancels at once, as Stripe does (an ended subscription cannot be cancelled again). */
  private cancelFromApi(id: string): Answer {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return missing('subscription', id);
    if (subscription.status === 'canceled') {
      return stripeError(400, { type: 'invalid_request_error', code: 'resource_missing', message: `No such subscription: '${id}'` });
    }
    Object.assign(subscription, { status: 'canceled', canceled_at: nowSeconds(), ended_at: nowSeconds(), cancel_at_period_end: false });
    return [200, clone(subscription)];
  }

  private updateFromApi(id: string, body: StripeObject): Answer {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return missing('subscription', id);
    if (body.cancel_at_period_end !== undefined) {
      const cancel = body.cancel_at_period_end === 'true';
      Object.assign(subscription, {
        cancel_at_period_end: cancel,
        cancel_at: cancel ? subscription.items.data[0].current_period_end : null,
        canceled_at: cancel ? nowSeconds() : null,
      });
    }
    if (body.metadata) subscription.metadata = { ...subscription.metadata, ...body.metadata };
    // `items[n][id]` + `items[n][price]`: the item moves to the price (a tier change). With `proration_behavior`
    // `create_prorations` (Stripe's default) or `always_invoice`, the unused time of the old price is credited and the
    // rest of the period charged at the new one: recorded in `prorations` (the test bills it with `invoice(…,
    // { billingReason: 'subscription_update' })`); the period itself does not move, as at Stripe.
    if (body.items !== undefined) {
      const changes: StripeObject[] = Array.isArray(body.items) ? body.items : Object.values(body.items);
      for (const change of changes) {
        const item = subscription.items.data.find((i: StripeObject) => i.id === change.id);
        if (!item) return missing('subscription_item', change.id);
        const price = this.prices.get(change.price);
        if (!price) return missing('price', change.price);
        const behavior = body.proration_behavior ?? 'create_prorations';
        if (behavior !== 'none') this.prorations.push({ subscription: id, item: item.id, from: item.price.id, to: price.id, behavior, at: nowSeconds() });
        item.price = clone(price);
        item.plan = { ...item.plan, id: price.id, amount: price.unit_amount, amount_decimal: String(price.unit_amount), currency: price.currency, product: price.product, interval: price.recurring?.interval ?? 'month', interval_count: price.recurring?.interval_count ?? 1 };
      }
    }
    // Connect routing: an empty value unsets the field (Stripe's `Emptyable`), as the platform does to stop routing.
    if (body.transfer_data !== undefined) {
      const destination = body.transfer_data === '' ? null : body.transfer_data.destination;
      if (destination && (!this.connect.accounts.has(destination) || this.connect.isRevoked(destination))) return missing('account', destination);
      subscription.transfer_data = destination ? { amount_percent: null, destination } : null;
    }
    if (body.application_fee_percent !== undefined) {
      subscription.application_fee_percent = body.application_fee_percent === '' ? null : Number(body.application_fee_percent);
    }
    return [200, clone(subscription)];
  }

  private newSubscription(
    customer: string,
    price: StripeObject,
    metadata: StripeObject,
    options: { status?: string; periodStart?: number; periodEnd?: number; trialDays?: number },
  ): StripeObject {
    const base = fixture('subscription');
    const baseItem = base.items.data[0];
    const id = stripeId('sub');
    const now = nowSeconds();
    const start = options.periodStart ?? now;
    // A trial (`subscription_data.trial_period_days`): `trialing` until its end, which is also the first period's.
    const trialEnd = options.trialDays ? now + options.trialDays * DAY : null;
    const end = options.periodEnd ?? trialEnd ?? start + (price.recurring?.interval === 'year' ? 365 : 30 * (price.recurring?.interval_count ?? 1)) * DAY;
    const plan = { ...baseItem.plan, id: price.id, amount: price.unit_amount, amount_decimal: String(price.unit_amount), currency: price.currency };
    const item = {
      ...baseItem,
      id: stripeId('si'),
      created: now,
      current_period_start: start,
      current_period_end: end,
      price: clone(price),
      plan: { ...plan, product: price.product, billing_scheme: 'per_unit', interval_count: price.recurring?.interval_count ?? 1, livemode: false, metadata: {}, transform_usage: null },
      subscription: id,
    };
    const subscription = {
      ...base,
      id,
      customer,
      status: options.status ?? (trialEnd ? 'trialing' : 'active'),
      metadata,
      currency: price.currency,
      created: now,
      start_date: now,
      billing_cycle_anchor: start,
      billing_cycle_anchor_config: null,
      billing_schedules: [],
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      trial_start: trialEnd ? now : null,
      trial_end: trialEnd,
      latest_invoice: stripeId('in'),
      next_pending_invoice_item_invoice: null,
      pending_invoice_item_interval: null,
      pending_update: null,
      pause_collection: null,
      transfer_data: null,
      items: { ...base.items, data: [item], url: `/v1/subscription_items?subscription=${id}` },
    };
    this.subscriptions.set(id, subscription);
    return subscription;
  }

  /** A succeeded payment intent and (at `balance`) its charge; `destination`: a Connect destination charge. */
  private newPaymentIntent(session: StripeObject, metadata: StripeObject, feeCents: number | null = null, destination?: string | null): StripeObject {
    const intent: StripeObject = {
      ...fixture('payment_intent'),
      application_fee_amount: feeCents,
      id: stripeId('pi'),
      amount: session.amount_total,
      amount_received: session.amount_total,
      currency: session.currency,
      customer: session.customer,
      metadata,
      status: 'succeeded',
      created: nowSeconds(),
      canceled_at: null,
      client_secret: null,
      last_payment_error: null,
      latest_charge: stripeId('ch'),
      next_action: null,
      processing: null,
      transfer_data: destination ? { destination } : null,
    };
    this.paymentIntents.set(intent.id, intent);
    this.balance.charged(intent, destination);
    return intent;
  }
}
