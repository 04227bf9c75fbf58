import { Check, Entity, Index, ManyToOne, OneToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';

/**
 * A creator's welcome message (docs/inbox.md#welcome-message): at most one per creator, sent as a message from them to
 * each new subscriber when the subscription becomes active, while `enabled`.
 */
@Entity({ tableName: 'welcome_messages' })
@Check({ name: 'welcome_messages_price_check', expression: 'price_cents >= 100 and price_cents <= 100000' })
export class WelcomeMessage {
  [OptionalProps]?: 'updatedAt';

  @OneToOne(() => User, { ref: true, primary: true, owner: true, deleteRule: 'cascade' })
  creator: Ref<User>;

  @Property({ type: 'text' })
  content: string;

  @Property({ type: 'integer', nullable: true })
  priceCents?: number | null;

  @Property({ type: 'string', length: 280, nullable: true })
  preview?: string | null;

  @Property({ type: 'boolean' })
  enabled: boolean;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}

/**
 * The welcome decision for one subscription, taken once: claimed (`insert … on conflict do nothing`) in the
 * `subscription.activated` handler's receipt transaction, so a replayed Stripe event, a redelivered outbox event or a
 * retried job sends nothing more. `messageId` is null when nothing was sent (none set, disabled, a block, ...).
 */
@Entity({ tableName: 'welcome_message_sends' })
@Index({ name: 'welcome_message_sends_recipient_idx', properties: ['recipient'] })
export class WelcomeMessageSend {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  subscriptionId: string;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  recipient: Ref<User>;

  @Property({ type: 'uuid', nullable: true })
  messageId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
