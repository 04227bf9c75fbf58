import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MediaModule } from '@/modules/media/media.module';
import { User } from './entities/user.entity';
import { FirstAdminService } from './first-admin.service';
import { UserLifecycleService } from './user-lifecycle.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [MikroOrmModule.forFeature([User]), MediaModule],
  controllers: [UsersController],
  providers: [UsersService, FirstAdminService, UserLifecycleService],
  exports: [UsersService, FirstAdminService, UserLifecycleService],
})
export class UsersModule {}
