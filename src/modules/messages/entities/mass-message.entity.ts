import { ArrayType, Check, Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { MassMessagesRepository } from '../mass-messages.repository';

export const MASS_MESSAGE_STATUSES = ['scheduled', 'sending', 'sent', 'canceled'] as const;
export type MassMessageStatus = (typeof MASS_MESSAGE_STATUSES)[number];

/** Who a mass message goes to: the union of `include` minus the union of `exclude` (segments as the API names them). */
export interface MassAudience {
  include: string[];
  exclude: string[];
}

/**
 * A message sent to many (docs/inbox.md#mass-messages): its content, its audience, and its fan-out's state. Each
 * recipient's copy is a `messages` row naming it (`mass_message_id`); its media are attached to this id
 * (`media.message_id`), shared by every copy. `resumeAfter[lane]` is the last recipient id of the lane's last committed
 * batch: the lane resumes after it.
 */
@Entity({ tableName: 'mass_messages', repository: () => MassMessagesRepository })
@Index({
  name: 'mass_messages_sender_idx',
  expression: 'create index "mass_messages_sender_idx" on "mass_messages" ("sender_id", "created_at" desc, "id" desc)',
})
@Index({
  name: 'mass_messages_due_idx',
  expression: `create index "mass_messages_due_idx" on "mass_messages" ("scheduled_at") where "status" = 'scheduled'`,
})
@Check({ name: 'mass_messages_price_check', expression: 'price_cents >= 100 and price_cents <= 100000' })
export class MassMessage {
  [EntityRepositoryType]?: MassMessagesRepository;
  [OptionalProps]?: 'id' | 'createdAt' | 'currency' | 'recipientsCount' | 'sentCount' | 'resumeAfter' | 'lanesDone' | 'lanes';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  sender: Ref<User>;

  @Property({ type: 'text', nullable: true })
  content?: string | null;

  @Property({ type: 'text', nullable: true })
  contentHtml?: string | null;

  @Property({ type: 'integer', nullable: true })
  priceCents?: number | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Property({ type: 'string', length: 280, nullable: true })
  preview?: string | null;

  @Property({ type: 'json' })
  audience: MassAudience;

  @Enum({ items: [...MASS_MESSAGE_STATUSES], columnType: 'varchar(20)' })
  status: MassMessageStatus;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  scheduledAt?: Date | null;

  /**
   * Fan-out lanes: recipients are split by a hash of their id, each lane written by its own transactions at once.
   * Fixed by the fan-out's first run (`MASS_MESSAGE_LANES`); 0 until then.
   */
  @Property({ type: 'smallint', default: 0 })
  lanes: number = 0;

  /** Per lane (1-based, as SQL arrays), the last recipient id of its last committed batch. */
  @Property({ type: ArrayType, columnType: 'uuid[]', defaultRaw: "'{}'" })
  resumeAfter: string[] = [];

  /** Per lane, whether it has run out of recipients. */
  @Property({ type: ArrayType, columnType: 'boolean[]', defaultRaw: "'{}'" })
  lanesDone: boolean[] = [];

  @Property({ type: 'integer', default: 0 })
  recipientsCount: number = 0;

  @Property({ type: 'integer', default: 0 })
  sentCount: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}
