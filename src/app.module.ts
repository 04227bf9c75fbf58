import { DynamicModule, Module } from '@nestjs/common';
import { AccountDataModule } from './common/account-data/account-data.registry';
import { AppConfig } from './common/config/app-config';
import { ConfigModule } from './common/config/config.module';
import { DatabaseModule } from './common/database/database.module';
import { QueueModule } from './common/queue/queue.module';
import { IdempotencyModule } from './common/idempotency/idempotency.module';
import { OutboxModule } from './common/outbox/outbox.module';
import { MetricsModule } from './common/metrics/metrics.module';
import { RateLimitModule } from './common/rate-limit/rate-limit.module';
import { RedisModule } from './common/redis/redis.module';
import { AccountsModule } from './modules/accounts/accounts.module';
import { AdminModule } from './modules/admin/admin.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { BillingModule } from './modules/billing/billing.module';
import { HealthModule } from './modules/health/health.module';
import { ListsModule } from './modules/lists/lists.module';
import { MailModule } from './modules/mail/mail.module';
import { MediaModule } from './modules/media/media.module';
import { MessagesModule } from './modules/messages/messages.module';
import { NotificationsModule } from './modules/notifications/notifications.module';
import { PostsModule } from './modules/posts/posts.module';
import { ReconciliationModule } from './modules/reconciliation/reconciliation.module';
import { ReferralsModule } from './modules/referrals/referrals.module';
import { ReportsModule } from './modules/reports/reports.module';
import { SearchModule } from './modules/search/search.module';
import { SocialModule } from './modules/social/social.module';
import { TimelinesModule } from './modules/timelines/timelines.module';
import { UsersModule } from './modules/users/users.module';

const FEATURES = [
  AuthModule,
  UsersModule,
  PostsModule,
  TimelinesModule,
  ListsModule,
  SocialModule,
  ReferralsModule,
  AdminModule,
  AuditModule,
  ReportsModule,
  MessagesModule,
];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    // The composition root binds each consumer's ports to the modules that implement them (users.ports.ts,
    // billing.ports.ts), so no feature imports a module that imports it back. One object, imported twice, is one
    // instance. See docs/module-boundaries.md.
    const billing = BillingModule.forRoot(config, [PostsModule, MessagesModule, SocialModule]);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, databaseUrl),
        RedisModule,
        QueueModule.forRoot(config),
        RateLimitModule,
        OutboxModule.forRoot(config),
        AccountDataModule,
        MetricsModule,
        IdempotencyModule,
        HealthModule,
        ...FEATURES,
        UsersModule.forRoot([MediaModule, billing]),
        NotificationsModule.forRoot(config),
        billing,
        ReconciliationModule.forRoot(config, billing),
        MediaModule.forRoot(config),
        SearchModule.forRoot(config),
        MailModule.forRoot(config),
        AccountsModule.forRoot(config, [AuthModule]),
      ],
    };
  }
}
