import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { ReconciliationController } from './reconciliation.controller';
import { ReconciliationProcessor } from './reconciliation.processor';
import { ReconciliationService } from './reconciliation.service';

/**
 * The ledger against Stripe (docs/billing.md#reconciliation): the admin routes, the daily job (workers) and the
 * service `npm run reconcile` drives. `billing`: the BillingModule the app root built (its `LedgerAuditService` and
 * Stripe client).
 */
@Module({})
export class ReconciliationModule {
  static forRoot(config: AppConfig, billing: DynamicModule): DynamicModule {
    return {
      module: ReconciliationModule,
      imports: [billing],
      controllers: config.runsApi ? [ReconciliationController] : [],
      providers: [ReconciliationService, ...(config.runsWorkers ? [ReconciliationProcessor] : [])],
      exports: [ReconciliationService],
    };
  }
}
