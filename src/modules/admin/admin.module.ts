import { Module } from '@nestjs/common';
import { AuthModule } from '@/modules/auth/auth.module';
import { UsersModule } from '@/modules/users/users.module';
import { AdminController } from './admin.controller';
import { AdminService } from './admin.service';
import { QueueDashboardAuth } from './queue-dashboard/queue-dashboard.auth';

@Module({ imports: [UsersModule, AuthModule], controllers: [AdminController], providers: [AdminService, QueueDashboardAuth] })
export class AdminModule {}
