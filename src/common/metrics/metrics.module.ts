import { Global, Module } from '@nestjs/common';
import { JobMetricsListener } from './job-metrics.listener';
import { MetricsService } from './metrics.service';

/** Prometheus metrics of the process; `mountMetrics` serves them at `/metrics` where the API runs. */
@Global()
@Module({ providers: [MetricsService, JobMetricsListener], exports: [MetricsService] })
export class MetricsModule {}
