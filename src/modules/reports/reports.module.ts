import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AdminModule } from '@/modules/admin/admin.module';
import { AuditModule } from '@/modules/audit/audit.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { PostsModule } from '@/modules/posts/posts.module';
import { UsersModule } from '@/modules/users/users.module';
import { Report } from './entities/report.entity';
import { ReportModerationService } from './report-moderation.service';
import { AdminReportsController, ReportsController } from './reports.controller';
import { ReportsService } from './reports.service';

/** Reports on posts and accounts, and the admin moderation queue. */
@Module({
  imports: [MikroOrmModule.forFeature([Report]), PostsModule, UsersModule, AdminModule, AuditModule, MessagesModule],
  controllers: [ReportsController, AdminReportsController],
  providers: [ReportsService, ReportModerationService],
})
export class ReportsModule {}
