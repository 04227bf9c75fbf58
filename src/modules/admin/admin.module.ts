import { Module } from '@nestjs/common';
import { AuditModule } from '@/modules/audit/audit.module';
import { AuthModule } from '@/modules/auth/auth.module';
import { UsersModule } from '@/modules/users/users.module';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';
import { QueueDashboardAuth } from './queue-dashboard/queue-dashboard.auth';

@Module({
  imports: [UsersModule, AuthModule, AuditModule],
  controllers: [AdminController],
  providers: [AdminService, QueueDashboardAuth],
  exports: [AdminService],
})
export class AdminModule {}
