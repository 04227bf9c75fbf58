import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { AuthModule } from '@/modules/auth/auth.module';
import { outboxProcessor } from '@/common/outbox/outbox.processor';
import { QueueName } from '@/common/queue/queue-names';
import { EntitlementsModule } from '@/modules/entitlements/entitlements.module';
import { MessagesModule } from '@/modules/messages/messages.module';
import { PostsModule } from '@/modules/posts/posts.module';
import { SocialModule } from '@/modules/social/social.module';
import { UsersModule } from '@/modules/users/users.module';
import { Notification } from './entities/notification.entity';
import { NotificationHubService } from './notification-hub.service';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsAccountDataService } from './notifications-account-data.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsService } from './notifications.service';
import { MessageDeliverySubscriber } from './message-delivery.subscriber';
import { NotificationsSubscriber } from './notifications.subscriber';

@Module({})
export class NotificationsModule {
  /** The subscriber and its fan-out queue's processor only where workers run (`APP_ROLE=worker|all`); the API only serves and streams. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [MikroOrmModule.forFeature([Notification]), AuthModule, PostsModule, SocialModule, UsersModule, EntitlementsModule, MessagesModule],
      controllers: config.runsApi ? [NotificationsController] : [],
      providers: [
        NotificationsService,
        NotificationHubService,
        NotificationStreamService,
        NotificationsAccountDataService,
        ...(config.runsWorkers ? [NotificationsSubscriber, MessageDeliverySubscriber, outboxProcessor(QueueName.Notifications)] : []),
      ],
      exports: [NotificationsService],
    };
  }
}
