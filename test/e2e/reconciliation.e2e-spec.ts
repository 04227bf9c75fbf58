import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { JobName, QueueName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { expectProblem } from '../factories/http';
import { as, createPost } from '../factories/posts';
import { createAdmin, createSignedInUser, signIn, SignedInUser } from '../factories/users';
import { applied, BillingSuite, creatorAt, paySubscription, payUnlock, useBillingApp } from '../support/billing';
import { stripeEnv, stripeEvent } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { drained, waitFor } from '../support/wait';
import { connectPayouts } from '../factories/payouts';

const ROOT = join(__dirname, '..', '..');
const DAY_MS = 86_400_000;

interface Report {
  from: string;
  to: string;
  stripe_objects: number;
  ledger_entries: number;
  missing_in_ledger: { stripe_id: string; kind: string; amount_cents: number; created_at: string }[];
  missing_in_stripe: { entry_id: string; kind: string; amount_cents: number; stripe_id: string }[];
  mismatched: { stripe_id: string; kind: string; ledger_cents: number; stripe_cents: number }[];
}

/** Today and tomorrow (UTC) as ISO dates: the window every payment of this run falls in. */
const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
const window = { from: today.toISOString().slice(0, 10), to: new Date(today.getTime() + DAY_MS).toISOString().slice(0, 10) };

// Platform-collects mode: no application fees or transfers at Stripe (those kinds are the ledger's, tested there).
describe('Reconciliation against Stripe (GET /admin/reconciliation, POST …/repair, npm run reconcile, the daily job)', () => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: 'false' });
  const { t, stripe } = billing;
  let admin: SignedInUser;
  /** The charges of the scenario: delivered and applied, dropped (never delivered), and changed at Stripe. */
  let applied1: StripeObject;
  let dropped: StripeObject;
  let droppedEvent: StripeObject;
  let phantomId: string;

  /** Every Stripe event the test makes is published, so `events.list` returns it, as Stripe keeps them all. */
  const published = (type: string, object: StripeObject) => stripe.balance.publish(stripeEvent(type, object));
  const report = async (range = window): Promise<Report> => (await as(t, admin).get(`/admin/reconciliation?from=${range.from}&to=${range.to}`).expect(200)).body;
  const repair = async (): Promise<Report> => (await as(t, admin).post('/admin/reconciliation/repair', window).expect(200)).body;
  const counts = async () => (await t.sql<{ events: number; entries: number }>('select (select count(*)::int from stripe_events) as events, (select count(*)::int from earnings_entries) as entries'))[0];

  beforeAll(async () => {
    admin = await signIn(t, await createAdmin(t));
  });

  it('finds a dropped webhook (missing in the ledger), a changed amount (mismatched) and an entry Stripe does not know', async () => {
    const creator = await creatorAt(t, 1000);
    const [fan, buyer1, buyer2] = await Promise.all([1, 2, 3].map(() => createSignedInUser(t)));
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(t, published('checkout.session.completed', session));
    await applied(t, published('invoice.paid', stripe.invoice(subscription.id, true, { first: true })));
    const post = await createPost(t, creator, { content: 'pay per view', price_cents: 500 });
    const first = await payUnlock(billing, buyer1, post.id);
    await applied(t, published('checkout.session.completed', first.session));
    // buyer2 pays, Stripe sends the event, and the delivery is lost (never reaches the webhook).
    const second = await payUnlock(billing, buyer2, post.id);
    droppedEvent = published('checkout.session.completed', second.session);
    // Stripe's records say buyer1's charge moved 700, not 500; and a ledger row names a charge Stripe never made.
    applied1 = first.paymentIntent;
    dropped = second.paymentIntent;
    stripe.balance.amend(applied1.latest_charge, 700);
    const [{ id }] = await t.sql<{ id: string }>(
      `insert into earnings_entries (id, creator_id, kind, gross_cents, fee_cents, net_cents, amount_cents, currency, counterparty_id, stripe_object_id, stripe_charge_id, occurred_at)
       values (gen_random_uuid(), ?, 'unlock', 300, 30, 270, 300, 'usd', ?, 'cs_test_phantom', 'ch_phantom', now()) returning id`,
      [creator.id, buyer1.id],
    );
    phantomId = id;
    // Payouts are the platform's own money: skipped. 150 of them make Stripe's list more than one page.
    for (let i = 0; i < 150; i++) stripe.balance.payout(100);

    const body = await report();
    expect(body).toEqual({
      from: `${window.from}T00:00:00.000Z`,
      to: `${window.to}T00:00:00.000Z`,
      stripe_objects: 3,
      ledger_entries: 3,
      missing_in_ledger: [{ stripe_id: dropped.latest_charge, kind: 'payment', amount_cents: 500, created_at: expect.any(String) }],
      missing_in_stripe: [{ entry_id: phantomId, kind: 'unlock', amount_cents: 300, stripe_id: 'ch_phantom' }],
      mismatched: [{ stripe_id: applied1.latest_charge, kind: 'unlock', ledger_cents: 500, stripe_cents: 700 }],
    });
    // Paged through with the SDK's auto-pagination: 100 at a time, each page after the last one's id.
    const pages = stripe.requestsTo('GET', '/v1/balance_transactions').map((r) => r.body);
    expect(pages.every((p) => p.limit === '100' && p.created.gte && p.created.lt)).toBe(true);
    expect(pages.some((p) => /^txn_/.test(p.starting_after ?? ''))).toBe(true);
  });

  it('repair records and applies the dropped event (access and the ledger heal), and a second repair records nothing', async () => {
    const repaired = await repair();
    expect(repaired.missing_in_ledger).toEqual([]);
    // What repair cannot fix is still reported: Stripe's amount and the phantom row are for a person to look at.
    expect(repaired.mismatched).toEqual([{ stripe_id: applied1.latest_charge, kind: 'unlock', ledger_cents: 500, stripe_cents: 700 }]);
    expect(repaired.missing_in_stripe.map((m) => m.entry_id)).toEqual([phantomId]);
    // Stored as the webhook stores it, and applied: the buyer's unlock and its ledger entry.
    const [event] = await t.sql<{ processed_at: Date | null }>('select processed_at from stripe_events where stripe_event_id = ?', [droppedEvent.id]);
    expect(event.processed_at).toBeTruthy();
    expect(await t.sql('select kind, amount_cents from earnings_entries where stripe_charge_id = ?', [dropped.latest_charge])).toEqual([{ kind: 'unlock', amount_cents: 500 }]);
    expect(await t.sql('select count(*)::int as n from post_unlocks where stripe_payment_intent_id = ?', [dropped.id])).toEqual([{ n: 1 }]);

    const before = await counts();
    expect(await repair()).toEqual(repaired);
    expect(await counts()).toEqual(before);
  });

  describe('npm run reconcile', () => {
    const cli = (args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        let stdout = '';
        let stderr = '';
        const child = spawn(process.execPath, ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'src/cli/reconcile.ts'), ...args], {
          cwd: ROOT,
          env: { ...process.env, ...stripeEnv(stripe), CONNECT_REQUIRED: 'false', DATABASE_URL: t.config.database.url!, REDIS_PREFIX: t.config.redis.prefix, LOG_LEVEL: 'silent' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('exit', (code) => resolve({ code, stdout, stderr }));
      });

    it('prints the differences and exits 1; --json prints the report; a quiet window exits 0; bad arguments exit 2', async () => {
      const found = await cli(['--from', window.from, '--to', window.to]);
      expect(found.code).toBe(1);
      if (process.env.PRINT_RECONCILE) console.log(found.stdout, found.stderr);
      expect(found.stdout).toContain('mismatched (1):');
      expect(found.stdout).toContain(`${applied1.latest_charge}  unlock  ledger +500  Stripe +700`);
      expect(found.stdout).toContain('missing at Stripe (1):');
      expect(found.stdout).toContain('DIFFERENCES');

      const json = await cli(['--from', window.from, '--to', window.to, '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toEqual(await report());

      const quiet = await cli(['--from', '2026-01-01', '--to', '2026-02-01']);
      expect({ code: quiet.code, stdout: quiet.stdout }).toEqual({ code: 0, stdout: expect.stringContaining('OK: the ledger equals Stripe') });

      expect((await cli(['--from', 'yesterday', '--to', window.to])).code).toBe(2);
      expect((await cli(['--from', '2026-01-01', '--to', '2026-06-01'])).code).toBe(2);
      expect((await cli(['--to', window.to])).code).toBe(2);
    }, 120_000);

    it('--repair records a dropped event and prints what it did', async () => {
      const buyer = await createSignedInUser(t);
      const creator = await creatorAt(t, 1000);
      const post = await createPost(t, creator, { content: 'another', price_cents: 400 });
      const lost = published('checkout.session.completed', (await payUnlock(billing, buyer, post.id)).session);

      const run = await cli(['--from', window.from, '--to', window.to, '--repair']);
      if (process.env.PRINT_RECONCILE) console.log(run.stdout, run.stderr);
      expect(run.stdout).toContain('repair: 1 lost event(s) recorded and applied');
      expect(run.code).toBe(1); // the mismatch and the phantom row remain
      expect(await t.sql('select count(*)::int as n from stripe_events where stripe_event_id = ? and processed_at is not null', [lost.id])).toEqual([{ n: 1 }]);
      expect((await report()).missing_in_ledger).toEqual([]);
    }, 120_000);
  });

  it('the daily job fails visibly when the ledger differs from Stripe (no retry)', async () => {
    const queue = t.app.get(QueueService);
    await queue.enqueue(JobName.Reconcile, { from: `${window.from}T00:00:00.000Z`, to: `${window.to}T00:00:00.000Z` }, { jobId: 'reconcile-test' });
    const job = await waitFor(
      async () => queue.queue(QueueName.Reconciliation).getJob('reconcile-test'),
      (j) => !!j?.failedReason,
    );
    expect(job!.failedReason).toMatch(/the ledger differs from Stripe .*1 mismatched/);
    expect(job!.attemptsMade).toBe(1);
  });

  describe('the admin routes', () => {
    it('are for admins only', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await as(t).get(`/admin/reconciliation?from=${window.from}&to=${window.to}`), 401, 'unauthorized');
      expectProblem(await as(t, user).get(`/admin/reconciliation?from=${window.from}&to=${window.to}`), 403, 'forbidden');
      expectProblem(await as(t, user).post('/admin/reconciliation/repair', window), 403, 'forbidden');
    });

    it('take ISO dates at most 92 days apart, `to` after `from`, and nothing else', async () => {
      const get = (query: string) => as(t, admin).get(`/admin/reconciliation?${query}`);
      expectProblem(await get(`to=${window.to}`), 400, 'validation_failed');
      expectProblem(await get(`from=01/11/2026&to=${window.to}`), 400, 'validation_failed');
      expectProblem(await get(`from=${window.from}&to=${window.to}&extra=1`), 400, 'validation_failed');
      expectProblem(await get(`from=${window.to}&to=${window.from}`), 422, 'validation_failed');
      expectProblem(await get('from=2026-01-01&to=2026-04-03T00:00:01Z'), 422, 'validation_failed');
      expect((await get('from=2026-01-01&to=2026-04-03')).status).toBe(200); // exactly 92 days
      const post = (body: object) => as(t, admin).post('/admin/reconciliation/repair', body);
      expectProblem(await post({ from: window.from }), 400, 'validation_failed');
      expectProblem(await post({ ...window, dry_run: true }), 400, 'validation_failed');
      expectProblem(await post({ from: '2026-01-01', to: '2026-06-01' }), 422, 'validation_failed');
    });
  });
});

// Referral rewards (docs/billing.md#referral-rewards): the platform's transfers of referral shares to referrers, and
// their reversals, are balance transactions; the ledger's `transfer` and `transfer_reversal` entries booked with the
// shares meet them, and the shares themselves (bookkeeping of the platform's fee) are no difference.
describe('Reconciliation with referral shares transferred and reversed', () => {
  const billing: BillingSuite = useBillingApp({ CONNECT_REQUIRED: 'false' });
  const { t, stripe } = billing;

  it('balances: payments, a refund, the shares transferred to the referrer and the reversal of one', async () => {
    const admin = await signIn(t, await createAdmin(t));
    const referrer = await createSignedInUser(t);
    await connectPayouts(t, stripe, referrer);
    const code = `REF-${Date.now().toString(36)}`;
    await as(t, referrer).post('/referral-codes', { code }).expect(201);
    const creator = await creatorAt(t, 1000);
    await t.sql(`insert into referrals (id, referral_code_id, referrer_id, referred_user_id) select gen_random_uuid(), id, ?, ? from referral_codes where code = ?`, [
      referrer.id,
      creator.id,
      code,
    ]);
    const [fan, buyer] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const { session, subscription } = await paySubscription(billing, fan, creator);
    await applied(t, stripeEvent('checkout.session.completed', session));
    await applied(t, stripeEvent('invoice.paid', stripe.invoice(subscription.id, true, { first: true })));
    const post = await createPost(t, creator, { content: 'pay per view', price_cents: 500 });
    const unlock = await payUnlock(billing, buyer, post.id);
    await applied(t, stripeEvent('checkout.session.completed', unlock.session));
    await applied(t, stripeEvent('charge.refunded', stripe.refund(unlock.paymentIntent.id, { amount: 200 })));
    await drained(t);

    const moved = stripe.balance.transactions.filter((bt) => bt.type === 'transfer' || bt.type === 'transfer_refund').map((bt) => bt.amount);
    expect(moved.sort((a, b) => a - b)).toEqual([-10, -5, 2]);
    const body: Report = (await as(t, admin).get(`/admin/reconciliation?from=${window.from}&to=${window.to}`).expect(200)).body;
    // This suite's database also holds the first suite's entries (another Stripe server made those): only ours count.
    const ours = new Set(
      (await t.sql<{ id: string }>('select id from earnings_entries where creator_id in (?, ?)', [creator.id, referrer.id])).map((r) => r.id),
    );
    expect(ours.size).toBe(10); // a subscriber, 2 payments, a refund; 2 shares, a reversal, 2 transfers, a transfer reversal
    expect(body).toMatchObject({ stripe_objects: 6, missing_in_ledger: [], mismatched: [] });
    expect(body.missing_in_stripe.filter((d) => ours.has(d.entry_id))).toEqual([]);
  });
});
