import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { readSql } from '@/common/database/request-context';
import { column } from '@/common/database/sql-fragment';
import { Answers, askTogether, Questions } from '@/common/database/together';
import { messageSoldSql } from '@/modules/entitlements/entitlement-queries';
import { Keyset } from '@/common/http/pagination';
import { ConversationStatus } from './entities/conversation-member.entity';
import { Message } from './entities/message.entity';

/** A message as the read paths fetch it: its row and its sender's summary. */
export interface MessageRow {
  id: string;
  conversation_id: string;
  sender_id: string;
  recipient_id: string;
  content: string | null;
  content_html: string | null;
  price_cents: number | null;
  preview: string | null;
  tip_cents: number | null;
  /** The mass message this row is a copy of: its media are attached to that id, shared by every copy. */
  mass_message_id: string | null;
  created_at: Date;
  deleted_at: Date | null;
  sender_username: string;
  sender_display_name: string | null;
  sender_avatar_url: string | null;
  sender_verified: boolean;
}

/** A creator's welcome message as stored. */
export interface WelcomeRow {
  content: string;
  price_cents: number | null;
  preview: string | null;
  enabled: boolean;
  updated_at: Date;
}

/** One side of a conversation, with the other participant's summary, for the list. */
export interface MemberRow {
  conversation_id: string;
  user_id: string;
  other_user_id: string;
  status: ConversationStatus;
  unread_count: number;
  last_message_id: string | null;
  last_activity_at: Date | null;
  hidden_at: Date | null;
  created_at: Date;
  other_username: string;
  other_display_name: string | null;
  other_avatar_url: string | null;
  other_verified: boolean;
  /** The latest message's row, fetched with the page (`memberPage` only; elsewhere absent). */
  last_message?: MessageRow | null;
}

const MESSAGE_COLUMNS = `m.id, m.conversation_id, m.sender_id, m.recipient_id, m.content, m.content_html, m.price_cents, m.preview,
  m.tip_cents, m.mass_message_id, m.created_at, m.deleted_at, s.username as sender_username, s.display_name as sender_display_name,
  s.avatar_url as sender_avatar_url, s.verified as sender_verified`;
const MESSAGE_FROM = 'messages m join users s on s.id = m.sender_id';

const MEMBER_COLUMNS = `cm.conversation_id, cm.user_id, cm.other_user_id, cm.status, cm.unread_count, cm.last_message_id,
  cm.last_activity_at, cm.hidden_at, c.created_at, o.username as other_username, o.display_name as other_display_name,
  o.avatar_url as other_avatar_url, o.verified as other_verified`;
const MEMBER_FROM = 'conversation_members cm join conversations c on c.id = cm.conversation_id join users o on o.id = cm.other_user_id';

/** The side's latest message as one JSON column (`memberPage`): the list needs no second look-up by id. */
const LAST_MESSAGE = `(select row_to_json(lm) from (select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM} where m.id = cm.last_message_id) lm) as last_message`;

const dates = <T extends { created_at: Date }>(row: T, ...more: (keyof T)[]): T => {
  const out = { ...row, created_at: new Date(row.created_at) };
  for (const key of more) if (row[key]) (out[key] as unknown) = new Date(row[key] as unknown as string);
  return out;
};

/**
 * Conversations, their members' state and their messages: the messages module's tables, read and written only here.
 * Each counter moves by a single-row `update … set n = n + 1` under that row's lock, so concurrent sends never lose one.
 */
export class MessagesRepository extends EntityRepository<Message> {
  private get db(): EntityManager {
    return this.getEntityManager();
  }

  /** The pair's conversation id, creating it and both sides if needed; `created` says which. Safe under concurrency. */
  async openConversation(
    em: EntityManager,
    starterId: string,
    otherId: string,
    otherStatus: ConversationStatus,
    id: string,
  ): Promise<{ id: string; created: boolean }> {
    const [low, high] = starterId < otherId ? [starterId, otherId] : [otherId, starterId];
    const inserted = await em.execute<{ id: string }[]>(
      `insert into conversations (id, user_low_id, user_high_id, created_at) values (?, ?, ?, now())
       on conflict (user_low_id, user_high_id) do nothing returning id`,
      [id, low, high],
    );
    if (inserted.length) {
      // The starter sees it at once; the other side only once there is a message (`last_activity_at` set by it).
      await em.execute(
        `insert into conversation_members (conversation_id, user_id, other_user_id, status, last_activity_at, created_at)
         values (?, ?, ?, 'active', now(), now()), (?, ?, ?, ?, null, now())`,
        [id, starterId, otherId, id, otherId, starterId, otherStatus],
      );
      return { id, created: true };
    }
    const [existing] = await em.execute<{ id: string }[]>('select id from conversations where user_low_id = ? and user_high_id = ?', [low, high]);
    // Opening it again shows it again on the starter's side (hidden, or never shown there yet).
    await em.execute(
      `update conversation_members set hidden_at = null, last_activity_at = coalesce(last_activity_at, now())
       where conversation_id = ? and user_id = ?`,
      [existing.id, starterId],
    );
    return { id: existing.id, created: false };
  }

  /** The caller's side of a conversation, or null when it is not theirs (or does not exist). */
  async member(conversationId: string, userId: string, em: EntityManager = this.db): Promise<MemberRow | null> {
    const [row] = await readSql<MemberRow[]>(em, `select ${MEMBER_COLUMNS} from ${MEMBER_FROM} where cm.conversation_id = ? and cm.user_id = ?`, [
      conversationId,
      userId,
    ]);
    return row ? dates(row, 'last_activity_at', 'hidden_at') : null;
  }

  /** A page of the caller's listed conversations with `status`, newest activity first (`conversation_members_list_idx`). */
  async memberPage(userId: string, status: ConversationStatus, cursor: Keyset | undefined, limit: number): Promise<MemberRow[]> {
    const after = cursor ? 'and (cm.last_activity_at, cm.conversation_id) < (?, ?)' : '';
    const rows = await readSql<MemberRow[]>(
      this.db,
      `select ${MEMBER_COLUMNS}, ${LAST_MESSAGE} from ${MEMBER_FROM}
       where cm.user_id = ? and cm.status = ? and cm.hidden_at is null and cm.last_activity_at is not null ${after}
       order by cm.last_activity_at desc, cm.conversation_id desc limit ?`,
      [userId, status, ...(cursor ? [cursor.at, cursor.id] : []), limit + 1],
    );
    return rows.map((r) => ({ ...dates(r, 'last_activity_at', 'hidden_at'), last_message: r.last_message ? dates(r.last_message, 'deleted_at') : null }));
  }

  /** Unread messages in the caller's listed, active conversations (requests count nothing). */
  async unreadTotal(userId: string): Promise<number> {
    const [row] = await this.db.execute<{ n: string }[]>(
      `select coalesce(sum(unread_count), 0) as n from conversation_members where user_id = ? and status = 'active' and hidden_at is null`,
      [userId],
    );
    return Number(row.n);
  }

  async messagesByIds(ids: string[]): Promise<MessageRow[]> {
    if (!ids.length) return [];
    const rows = await readSql<MessageRow[]>(this.db, `select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM} where m.id in (?)`, [ids]);
    return rows.map((r) => dates(r, 'deleted_at'));
  }

  /**
   * A page of a conversation's messages, newest first (`messages_conversation_idx`), only for one of its members
   * (`memberId`; anyone else: no rows): the membership is asked in the same statement (evaluated once), so a page
   * costs one round trip; an empty answer leaves the caller to tell an empty conversation from one not theirs.
   */
  async messagePage(conversationId: string, memberId: string, cursor: Keyset | undefined, limit: number): Promise<MessageRow[]> {
    const after = cursor ? 'and (m.created_at, m.id) < (?, ?)' : '';
    const rows = await readSql<MessageRow[]>(
      this.db,
      `select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM}
       where m.conversation_id = ? and exists (select 1 from conversation_members cm where cm.conversation_id = ? and cm.user_id = ?) ${after}
       order by m.created_at desc, m.id desc limit ?`,
      [conversationId, conversationId, memberId, ...(cursor ? [cursor.at, cursor.id] : []), limit + 1],
    );
    return rows.map((r) => dates(r, 'deleted_at'));
  }

  /** Questions about messages (what the viewer bought, their media) asked in one round trip (`askTogether`). */
  together(questions: Questions): Promise<Answers> {
    return askTogether(this.db, questions);
  }

  /**
   * In the send's transaction, after the message row is written: the sender's side shows it (a reply accepts a
   * request), the recipient's side counts it unread and shows it again. The recipient's row is updated last, so a
   * concurrent `read` (which locks that row first, then counts) either waits for this commit and counts the message,
   * or runs before and this increment lands after it: the count stays exact.
   */
  async delivered(em: EntityManager, message: { id: string; conversationId: string; senderId: string; recipientId: string; createdAt: Date }): Promise<void> {
    const latest = `last_message_id = case when last_activity_at is null or last_activity_at <= ? then ? else last_message_id end,
      last_activity_at = greatest(coalesce(last_activity_at, ?), ?), hidden_at = null`;
    const at = message.createdAt;
    await em.execute(`update conversation_members set ${latest}, status = 'active' where conversation_id = ? and user_id = ?`, [
      at,
      message.id,
      at,
      at,
      message.conversationId,
      message.senderId,
    ]);
    await em.execute(`update conversation_members set ${latest}, unread_count = unread_count + 1 where conversation_id = ? and user_id = ?`, [
      at,
      message.id,
      at,
      at,
      message.conversationId,
      message.recipientId,
    ]);
  }

  /**
   * Marks the caller's side read, up to `upTo` (a message of this conversation) or everything. The row is locked first,
   * then the unread messages counted in a statement of their own, which sees every send committed before the lock.
   */
  async read(em: EntityManager, conversationId: string, userId: string, upTo: { createdAt: Date; id: string } | null): Promise<void> {
    await em.execute('select 1 from conversation_members where conversation_id = ? and user_id = ? for update', [conversationId, userId]);
    let unread = 0;
    if (upTo) {
      const [row] = await em.execute<{ n: string }[]>(
        'select count(*) as n from messages where conversation_id = ? and recipient_id = ? and (created_at, id) > (?, ?)',
        [conversationId, userId, upTo.createdAt, upTo.id],
      );
      unread = Number(row.n);
    }
    await em.execute('update conversation_members set unread_count = ?, last_read_at = now() where conversation_id = ? and user_id = ?', [
      unread,
      conversationId,
      userId,
    ]);
  }

  async setStatus(conversationId: string, userId: string, status: ConversationStatus): Promise<void> {
    await this.db.execute('update conversation_members set status = ? where conversation_id = ? and user_id = ?', [status, conversationId, userId]);
  }

  async hide(conversationId: string, userId: string): Promise<void> {
    await this.db.execute('update conversation_members set hidden_at = now() where conversation_id = ? and user_id = ?', [conversationId, userId]);
  }

  /** Unsends the sender's own message: true if it was theirs and not unsent yet. */
  async unsend(messageId: string, senderId: string): Promise<boolean> {
    const rows = await this.db.execute<{ id: string }[]>(
      'update messages set deleted_at = now() where id = ? and sender_id = ? and deleted_at is null returning id',
      [messageId, senderId],
    );
    return rows.length > 0;
  }

  /** The currency a user sells in (a paid message is priced in its sender's). */
  async currencyOf(userId: string): Promise<string> {
    const [row] = await this.db.execute<{ currency: string }[]>('select currency from users where id = ?', [userId]);
    return row?.currency ?? 'usd';
  }

  /** The user's messages, sent and received, in id order after `afterId` (the data export). */
  async pageOfUser(userId: string, afterId: string | undefined, limit: number): Promise<MessageRow[]> {
    const rows = await this.db.execute<MessageRow[]>(
      `select ${MESSAGE_COLUMNS} from ${MESSAGE_FROM} where (m.sender_id = ? or m.recipient_id = ?) ${afterId ? 'and m.id > ?' : ''} order by m.id limit ?`,
      [userId, userId, ...(afterId ? [afterId] : []), limit],
    );
    return rows.map((r) => dates(r, 'deleted_at'));
  }

  /**
   * One batch of a deleted account's erasure: its welcome message, its own sides of conversations, then the messages it
   * sent but those bought and not refunded (their buyers keep them). The other
   * side's unread count is set to 0 with the first batch: every message it counted came from this account (the only
   * other participant), and those are going. Answers the rows removed (0: nothing is left). Idempotent.
   */
  async eraseBatchOf(userId: string, limit: number): Promise<number> {
    return this.db.fork().transactional(async (em) => {
      await em.execute('delete from welcome_messages where creator_id = ?', [userId]);
      // Its mass messages (their copies are messages it sent, below; a suspended sender's fan-out has stopped).
      await em.execute('delete from mass_messages where sender_id = ?', [userId]);
      const sides = await em.execute<{ n: number }[]>(
        `with gone as (delete from conversation_members where (conversation_id, user_id) in
           (select conversation_id, user_id from conversation_members where user_id = ? limit ?) returning conversation_id),
         others as (update conversation_members o set unread_count = 0 from gone g
           where o.conversation_id = g.conversation_id and o.user_id <> ? returning 1)
         select count(*)::int as n from gone`,
        [userId, limit, userId],
      );
      if (sides[0].n) return sides[0].n;
      // A message someone bought stays for its buyer (as a sold post does): its purchase is their record of it.
      const sold = messageSoldSql(column('m.id'));
      const sent = await em.execute<{ n: number }[]>(
        `with gone as (delete from messages where id in (select id from messages m where sender_id = ? and not ${sold.sql} limit ?) returning 1)
         select count(*)::int as n from gone`,
        [userId, ...sold.params, limit],
      );
      return sent[0].n;
    });
  }

  /** `userId`'s side of their conversation with `otherId`, if they have one. */
  async sideWith(em: EntityManager, userId: string, otherId: string): Promise<{ conversation_id: string; status: ConversationStatus } | null> {
    const [row] = await em.execute<{ conversation_id: string; status: ConversationStatus }[]>(
      'select conversation_id, status from conversation_members where user_id = ? and other_user_id = ?',
      [userId, otherId],
    );
    return row ?? null;
  }

  async welcomeOf(creatorId: string, em: EntityManager = this.db): Promise<WelcomeRow | null> {
    const [row] = await em.execute<WelcomeRow[]>('select content, price_cents, preview, enabled, updated_at from welcome_messages where creator_id = ?', [creatorId]);
    return row ? { ...row, updated_at: new Date(row.updated_at) } : null;
  }

  /** Sets (replaces) the creator's welcome message. */
  async putWelcome(creatorId: string, welcome: Omit<WelcomeRow, 'updated_at'>): Promise<WelcomeRow> {
    const [row] = await this.db.execute<WelcomeRow[]>(
      `insert into welcome_messages (creator_id, content, price_cents, preview, enabled, updated_at) values (?, ?, ?, ?, ?, now())
       on conflict (creator_id) do update set content = excluded.content, price_cents = excluded.price_cents, preview = excluded.preview,
         enabled = excluded.enabled, updated_at = excluded.updated_at
       returning content, price_cents, preview, enabled, updated_at`,
      [creatorId, welcome.content, welcome.price_cents, welcome.preview, welcome.enabled],
    );
    return { ...row, updated_at: new Date(row.updated_at) };
  }

  /**
   * Claims the welcome decision for a subscription: true the first time only (the primary key on `subscription_id`),
   * in the handler's receipt transaction, so a concurrent or later delivery of the same activation claims nothing.
   */
  async claimWelcome(em: EntityManager, subscriptionId: string, recipientId: string): Promise<boolean> {
    const rows = await em.execute<{ subscription_id: string }[]>(
      `insert into welcome_message_sends (subscription_id, recipient_id, created_at) values (?, ?, now())
       on conflict (subscription_id) do nothing returning subscription_id`,
      [subscriptionId, recipientId],
    );
    return rows.length > 0;
  }

  async welcomeSent(em: EntityManager, subscriptionId: string, messageId: string): Promise<void> {
    await em.execute('update welcome_message_sends set message_id = ? where subscription_id = ?', [messageId, subscriptionId]);
  }

  /** What the send and the gate read of the two accounts: active or not, and the recipient's policy. */
  async accounts(ids: string[]): Promise<Map<string, { id: string; suspended_at: Date | null; dm_policy: string }>> {
    const rows = await this.db.execute<{ id: string; suspended_at: Date | null; dm_policy: string }[]>(
      'select id, suspended_at, dm_policy from users where id in (?)',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }
}
