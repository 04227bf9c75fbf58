import { EntityRepository } from '@mikro-orm/postgresql';
import { OutboxEvent } from './outbox-event.entity';

export class OutboxEventsRepository extends EntityRepository<OutboxEvent> {}
