import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { AppException } from '../common/errors/app.exception';
import { parseIsoDateTime } from '../common/http/iso-date-time';
import { ConfigError, loadConfig } from '../common/config/load-config';
import { resolveDatabase } from '../bootstrap';
import { hasDifferences, ReconciliationReportResponse } from '../modules/reconciliation/dto/reconciliation.dto';
import { parseRange, ReconciliationService, ReplayCounts } from '../modules/reconciliation/reconciliation.service';

const USAGE = `usage: npm run reconcile -- --from 2026-11-01 --to 2026-12-01 [--repair] [--json]

Compares Stripe's balance transactions of [from, to) with the earnings ledger (docs/billing.md#reconciliation) and
prints what is missing on either side and what differs. --repair first records and applies the window's Stripe events
the ledger lacks (idempotent). --json prints the report as the admin route answers it.
Exit codes: 0 the ledger equals Stripe, 1 differences, 2 bad arguments or configuration, 3 failure.`;

const cents = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The report as lines for a person: both sides' counts, then each difference. */
function formatReport(report: ReconciliationReportResponse, replayed?: ReplayCounts): string {
  const lines = [`reconciliation of ${report.from} to ${report.to}`];
  if (replayed) lines.push(`repair: ${replayed.recorded} lost event(s) recorded and applied, ${replayed.applied} stored event(s) applied, ${replayed.unchanged} already applied`);
  lines.push(`Stripe: ${report.stripe_objects} money movement(s); ledger: ${report.ledger_entries} money entries`);
  const section = (title: string, rows: string[]) => rows.length && lines.push(`${title} (${rows.length}):`, ...rows.map((r) => `  ${r}`));
  section('missing in the ledger', report.missing_in_ledger.map((m) => `${m.stripe_id}  ${m.kind}  ${cents(m.amount_cents)}  ${m.created_at}`));
  section('missing at Stripe', report.missing_in_stripe.map((m) => `${m.stripe_id}  ${m.kind}  ${cents(m.amount_cents)}  entry ${m.entry_id}`));
  section('mismatched', report.mismatched.map((m) => `${m.stripe_id}  ${m.kind}  ledger ${cents(m.ledger_cents)}  Stripe ${cents(m.stripe_cents)}`));
  lines.push(hasDifferences(report) ? 'DIFFERENCES: the ledger does not equal Stripe' : 'OK: the ledger equals Stripe');
  return lines.join('\n');
}

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

async function run(): Promise<number> {
  const { values } = (() => {
    try {
      return parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, repair: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' } } });
    } catch (error) {
      return usage((error as Error).message);
    }
  })();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const from = values.from && parseIsoDateTime(values.from);
  const to = values.to && parseIsoDateTime(values.to);
  if (!from || !to) return usage('--from and --to must be ISO dates (2026-11-01) or date-times');
  let window;
  try {
    window = parseRange({ from, to });
  } catch (error) {
    return usage(error instanceof AppException ? (error.detail ?? error.message) : String(error));
  }
  const config = loadConfig();
  // No HTTP server and no workers: this process reads Stripe and the ledger, and (repair) writes through billing.
  config.role = 'api';
  const database = await resolveDatabase(config);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, database.url), { logger: ['error'], abortOnError: false });
  try {
    const service = app.get(ReconciliationService);
    const onProgress = (what: string, read: number) => process.stderr.write(`… ${read} ${what} read\n`);
    const { report, replayed } = values.repair ? await service.repair(window, { onProgress }) : { report: await service.report(window, { onProgress }), replayed: undefined };
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report, replayed));
    return hasDifferences(report) ? 1 : 0;
  } finally {
    await app.close();
    await database.stop();
  }
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const configError = error instanceof ConfigError;
    console.error(`${configError ? 'configuration error' : 'reconciliation failed'}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(configError ? 2 : 3);
  },
);
