import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import type { ReconciliationReportResponse } from '@/modules/reconciliation/dto/reconciliation.dto';
import { StripeObject, StripeTestServer } from '../support/stripe-server';
import type { InvariantRow } from './invariants';

const ROOT = join(__dirname, '..', '..');

/** `npm run reconcile -- --json …` against the soak's database and Stripe: its exit code and report. */
function reconcile(env: Record<string, string>, window: { from: Date; to: Date }, repair: boolean): Promise<{ code: number | null; report?: ReconciliationReportResponse; output: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const args = ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'src/cli/reconcile.ts'), '--from', window.from.toISOString(), '--to', window.to.toISOString(), '--json'];
    const child = spawn(process.execPath, repair ? [...args, '--repair'] : args, { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout) as ReconciliationReportResponse, output: stderr });
      } catch {
        resolve({ code, output: `${stdout}\n${stderr}` });
      }
    });
  });
}

const differences = (r?: ReconciliationReportResponse) => (r ? r.missing_in_ledger.length + r.missing_in_stripe.length + r.mismatched.length : Infinity);

/**
 * "Ledger equals Stripe": the first report finds exactly the charges of the dropped `invoice.paid` deliveries missing
 * in the ledger (and nothing else), `--repair` stores and applies those events, and a second report finds nothing.
 */
export async function moneyInvariant(inputs: {
  env: Record<string, string>;
  window: { from: Date; to: Date };
  db: Client;
  stripe: StripeTestServer;
  lost: StripeObject[];
}): Promise<InvariantRow> {
  const { env, window, db, stripe, lost } = inputs;
  const lostCharges = lost.map((e) => stripe.invoicePaymentIntent(e.data.object.id).latest_charge as string).sort();
  const first = await reconcile(env, window, false);
  const found = (first.report?.missing_in_ledger ?? []).map((m) => m.stripe_id).sort();
  const foundAll = JSON.stringify(found) === JSON.stringify(lostCharges) && differences(first.report) === lostCharges.length && first.code === (lost.length ? 1 : 0);
  const repaired = await reconcile(env, window, true);
  const { rows } = await db.query<{ n: string }>('select count(*) as n from stripe_events where stripe_event_id = any($1::text[]) and processed_at is not null', [lost.map((e) => e.id)]);
  const recorded = Number(rows[0].n);
  const second = await reconcile(env, window, false);
  const left = differences(second.report);
  const violations = (foundAll ? 0 : 1) + (lost.length - recorded) + (Number.isFinite(left) ? left : 1) + (second.code === 0 ? 0 : 1) + (repaired.report ? 0 : 1);
  return {
    invariant: 'ledger equals Stripe (dropped found, repaired, then none)',
    checked: second.report?.stripe_objects ?? 0,
    violations,
    detail:
      `dropped ${lost.length}, first report: ${found.length} missing in ledger, ${differences(first.report)} difference(s) (exit ${first.code}); ` +
      `repair recorded ${recorded}; second report: ${left} (exit ${second.code})` +
      (first.report && second.report ? '' : `; CLI output: ${(first.report ? second.output : first.output).slice(0, 300)}`),
  };
}
