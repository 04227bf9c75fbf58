import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { AuthModule } from '@/modules/auth/auth.module';
import { EntitlementsModule } from '@/modules/billing/entitlements/entitlements.module';
import { MediaModule } from '@/modules/media/media.module';
import { PostsModule } from '@/modules/posts/posts.module';
import { SocialModule } from '@/modules/social/social.module';
import { UsersModule } from '@/modules/users/users.module';
import { Notification } from './entities/notification.entity';
import { NotificationHubService } from './notification-hub.service';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsController } from './notifications.controller';
import { EventsProcessor, NotificationsProcessor } from './notifications.processors';
import { NotificationsService } from './notifications.service';

@Module({})
export class NotificationsModule {
  /** Processors only where workers run (`APP_ROLE=worker|all`); the API only serves and streams. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [MikroOrmModule.forFeature([Notification]), AuthModule, PostsModule, SocialModule, UsersModule, EntitlementsModule, MediaModule],
      controllers: config.runsApi ? [NotificationsController] : [],
      providers: [
        NotificationsService,
        NotificationHubService,
        NotificationStreamService,
        ...(config.runsWorkers ? [EventsProcessor, NotificationsProcessor] : []),
      ],
      exports: [NotificationsService],
    };
  }
}
