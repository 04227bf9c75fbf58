import { EntityRepository } from '@mikro-orm/postgresql';
import { Notification } from './entities/notification.entity';

export class NotificationsRepository extends EntityRepository<Notification> {}
