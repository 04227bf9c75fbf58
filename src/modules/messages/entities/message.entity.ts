import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { MessagesRepository } from '../messages.repository';
import { Conversation } from './conversation.entity';

/**
 * One delivered message: one row per copy (a mass message writes one per recipient, `massMessageId` naming it), so a
 * copy's read state, unlock and unsend are its own (docs/inbox.md#storage-one-row-per-copy). An unsent message keeps its row with
 * `deletedAt`; its content stays stored for whoever bought it.
 */
@Entity({ tableName: 'messages', repository: () => MessagesRepository })
@Index({
  name: 'messages_conversation_idx',
  expression: 'create index "messages_conversation_idx" on "messages" ("conversation_id", "created_at" desc, "id" desc)',
})
@Index({ name: 'messages_sender_idx', properties: ['sender'] })
// A mass message's copies: one per recipient, so a replayed fan-out batch inserts nothing twice (docs/inbox.md#mass-messages).
@Index({
  name: 'messages_mass_recipient_unique',
  expression: 'create unique index "messages_mass_recipient_unique" on "messages" ("mass_message_id", "recipient_id") where "mass_message_id" is not null',
})
@Index({ name: 'messages_recipient_idx', properties: ['recipient'] })
@Check({ name: 'messages_price_check', expression: 'price_cents >= 100 and price_cents <= 100000' })
export class Message {
  [EntityRepositoryType]?: MessagesRepository;
  [OptionalProps]?: 'id' | 'createdAt' | 'currency';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => Conversation, { ref: true, deleteRule: 'cascade' })
  conversation: Ref<Conversation>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  sender: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  recipient: Ref<User>;

  @Property({ type: 'text', nullable: true })
  content?: string | null;

  @Property({ type: 'text', nullable: true })
  contentHtml?: string | null;

  /** Pay-per-message: locked for the recipient until bought (unlock comes with `message_unlocks`, docs/inbox.md). */
  @Property({ type: 'integer', nullable: true })
  priceCents?: number | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Property({ type: 'string', length: 280, nullable: true })
  preview?: string | null;

  @Property({ type: 'integer', nullable: true })
  tipCents?: number | null;

  @Property({ type: 'uuid', nullable: true })
  massMessageId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;
}
