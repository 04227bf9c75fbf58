import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { joinSql, SqlFragment } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { MassAudience, MassMessage, MassMessageStatus } from './entities/mass-message.entity';

/** A mass message as stored. */
export interface MassMessageRow {
  id: string;
  sender_id: string;
  content: string | null;
  content_html: string | null;
  price_cents: number | null;
  currency: string;
  preview: string | null;
  audience: MassAudience;
  status: MassMessageStatus;
  scheduled_at: Date | null;
  lanes: number;
  recipients_count: number;
  sent_count: number;
  created_at: Date;
}

/** What one fan-out batch did: the recipients it covered (judged), and the copies it wrote. */
export interface FanOutBatch {
  /** False: the mass message is not `sending` (done, or canceled): nothing was done. */
  sending: boolean;
  /** The lane's resume point before this batch (null: its first batch). */
  after: string | null;
  /** The last recipient id judged (the new resume point), or null when nobody was left. */
  last: string | null;
  written: number;
  /** True when the audience is exhausted: the mass message is now `sent`. */
  finished: boolean;
}

/** Thrown inside a batch's transaction when the mass message stopped being `sending` meanwhile: the batch rolls back. */
export class MassMessageStopped extends Error {
  constructor() {
    super('the mass message is no longer sending');
  }
}

/** The audience, as SQL built by the service from the segments' owners (social, entitlements, lists). */
export interface AudienceSql {
  include: SqlFragment[];
  exclude: SqlFragment[];
  /** `sender` may write to the recipient whose `users` row is aliased `u` and id is `c.id` (DmGateService). */
  mayWrite: SqlFragment;
}

const COLUMNS = `id, sender_id, content, content_html, price_cents, currency, preview, audience, status, scheduled_at, lanes,
  recipients_count, sent_count, created_at`;

const dates = (row: MassMessageRow): MassMessageRow => ({
  ...row,
  created_at: new Date(row.created_at),
  scheduled_at: row.scheduled_at ? new Date(row.scheduled_at) : null,
});

/**
 * Mass messages and their fan-out (docs/inbox.md#mass-messages): the messages module's tables only (`mass_messages`,
 * `messages`, `conversations`, `conversation_members`); the audience's tables are read through the SQL their owners
 * hand over. Each batch is set-based: a handful of statements for thousands of recipients.
 */
export class MassMessagesRepository extends EntityRepository<MassMessage> {
  private get db(): EntityManager {
    return this.getEntityManager();
  }

  async findOwn(senderId: string, id: string, em: EntityManager = this.db): Promise<MassMessageRow | null> {
    const [row] = await em.execute<MassMessageRow[]>(`select ${COLUMNS} from mass_messages where id = ? and sender_id = ?`, [id, senderId]);
    return row ? dates(row) : null;
  }

  /** The sender's mass messages, newest first (`mass_messages_sender_idx`). */
  async page(senderId: string, cursor: Keyset | undefined, limit: number): Promise<MassMessageRow[]> {
    const after = cursor ? 'and (created_at, id) < (?, ?)' : '';
    const rows = await this.db.execute<MassMessageRow[]>(
      `select ${COLUMNS} from mass_messages where sender_id = ? ${after} order by created_at desc, id desc limit ?`,
      [senderId, ...(cursor ? [cursor.at, cursor.id] : []), limit],
    );
    return rows.map(dates);
  }

  /**
   * Per mass message, its copies read by their recipient: the recipient's side was read at or after the copy arrived
   * (`last_read_at`). One aggregate over `messages_mass_recipient_unique` and the members' primary key.
   */
  async readCounts(ids: string[]): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const rows = await this.db.execute<{ id: string; n: number }[]>(
      `select m.mass_message_id as id, count(*)::int as n
         from messages m join conversation_members cm on cm.conversation_id = m.conversation_id and cm.user_id = m.recipient_id
        where m.mass_message_id in (?) and cm.last_read_at >= m.created_at
        group by m.mass_message_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, Number(r.n)]));
  }

  /** The copies of these mass messages, as `select id, group_id` (for the sales aggregate). */
  copiesSql(ids: string[]): SqlFragment {
    return { sql: 'select m.id, m.mass_message_id as group_id from messages m where m.mass_message_id in (?)', params: [ids] };
  }

  /** The mass message's fan-out lanes, fixed to `lanes` by its first run (a retry after a configuration change keeps them). */
  async fixLanes(id: string, lanes: number): Promise<number> {
    await this.db.execute('update mass_messages set lanes = ? where id = ? and lanes = 0', [lanes, id]);
    const [row] = await this.db.execute<{ lanes: number }[]>('select lanes from mass_messages where id = ?', [id]);
    return row ? Number(row.lanes) : 0;
  }

  /** The currency a user sells in (a paid copy is priced in its sender's). */
  async currencyOf(userId: string): Promise<string> {
    const [row] = await this.db.execute<{ currency: string }[]>('select currency from users where id = ?', [userId]);
    return row?.currency ?? 'usd';
  }

  /** Copies of a mass message to the recipients of `lane` in (`after`, `last`], for their live delivery. */
  async copiesBetween(massMessageId: string, lane: number, lanes: number, after: string | null, last: string): Promise<{ id: string; recipient_id: string }[]> {
    return this.db.execute<{ id: string; recipient_id: string }[]>(
      `select id, recipient_id from messages where mass_message_id = ? ${after ? 'and recipient_id > ?' : ''} and recipient_id <= ?
          and (hashtext(recipient_id::text) & 2147483647) % ? = ? order by recipient_id`,
      [massMessageId, ...(after ? [after] : []), last, lanes, lane],
    );
  }

  /**
   * Due scheduled mass messages, claimed (`sending`) in the caller's transaction; `for update skip locked`, so workers
   * sweeping together claim each once.
   */
  async claimDue(em: EntityManager, limit: number): Promise<{ id: string; sender_id: string }[]> {
    return em.execute<{ id: string; sender_id: string }[]>(
      `update mass_messages set status = 'sending' where id in (
         select id from mass_messages where status = 'scheduled' and scheduled_at <= now() order by scheduled_at limit ? for update skip locked)
       returning id, sender_id`,
      [limit],
    );
  }

  /**
   * Stops a mass message (`canceled`) and unsends its copies that nobody bought (`sold`: a predicate on `m.id`,
   * from entitlements): as `DELETE /messages/:id` per copy, in batches of `batch` rows so no statement holds
   * 100,000 row locks. The row lock on the mass message waits for a running fan-out batch to commit; the batches after
   * it see `canceled` and stop. Answers false when it is not the sender's.
   */
  async cancel(senderId: string, id: string, sold: SqlFragment, batch: number): Promise<boolean> {
    const found = await this.db.fork().transactional(async (em) => {
      const rows = await em.execute<{ id: string }[]>(
        `update mass_messages set status = 'canceled', finished_at = coalesce(finished_at, now()) where id = ? and sender_id = ? returning id`,
        [id, senderId],
      );
      return rows.length > 0;
    });
    if (!found) return false;
    for (;;) {
      const rows = await this.db.execute<{ n: number }[]>(
        `with gone as (update messages set deleted_at = now() where id in (
           select m.id from messages m where m.mass_message_id = ? and m.deleted_at is null and not ${sold.sql} limit ?) returning 1)
         select count(*)::int as n from gone`,
        [id, ...sold.params, batch],
      );
      if (rows[0].n < batch) break;
    }
    // The copies still delivered: those bought (their buyers keep them).
    await this.db.execute(
      `update mass_messages set sent_count = (select count(*) from messages where mass_message_id = ? and deleted_at is null) where id = ?`,
      [id, id],
    );
    return true;
  }

  /**
   * One batch of the fan-out, in the caller's transaction: under the mass message's row lock, the next `size`
   * recipients after the resume point are judged (the union of the included segments, in id order), the copies written
   * to those who may receive it (`on conflict … do nothing`: a replayed batch writes nothing twice), conversations
   * created `active` on both sides where missing, both sides' `last_message_id`, `last_activity_at` and the recipients'
   * `unread_count` moved in set form, and the resume point and counters advanced: all in one commit.
   */
  async fanOutBatch(em: EntityManager, id: string, lane: number, size: number, audience: (row: MassMessageRow) => AudienceSql): Promise<FanOutBatch> {
    // Thousands of rows per statement push the planner's estimates past `jit_above_cost`: compiling them took 300 ms
    // a batch (the statements themselves ~15 ms), so, as the discovery refresh does, no JIT here.
    // A batch commits without waiting for its WAL flush: losing the last batches to a PostgreSQL crash loses their
    // copies and their resume point together (the retried job writes them again), and the job's receipt, committed
    // synchronously after them, flushes them all (the WAL is one sequence). A 5,000-copy batch writes ~10 MB of WAL.
    await em.execute('set local jit = off; set local synchronous_commit = off');
    // No lock here: the lanes run at once. The row is locked by the last statement only, which checks the status again.
    const [found] = await em.execute<(MassMessageRow & { lane_after: string | null; lane_done: boolean })[]>(
      `select ${COLUMNS}, resume_after[?] as lane_after, coalesce(lanes_done[?], false) as lane_done from mass_messages where id = ?`,
      [lane + 1, lane + 1, id],
    );
    if (!found || found.status !== 'sending') return { sending: false, after: null, last: null, written: 0, finished: false };
    if (found.lane_done) return { sending: true, after: found.lane_after, last: found.lane_after, written: 0, finished: true };
    const row = dates(found);
    const sender = row.sender_id;
    const after = found.lane_after;
    const [senderState] = await em.execute<{ suspended_at: Date | null }[]>('select suspended_at from users where id = ?', [sender]);
    const sql = audience(row);
    const from = after ?? '00000000-0000-0000-0000-000000000000';
    const inLane = `(hashtext(x.id::text) & 2147483647) % ${Number(row.lanes)} = ${Number(lane)}`;

    let judged: { id: string; ok: boolean }[] = [];
    if (senderState && !senderState.suspended_at && sql.include.length) {
      const branches = joinSql(
        sql.include.map((seg) => ({
          sql: `(select x.id from (${seg.sql}) x(id) where x.id > ? and ${inLane} order by x.id limit ?)`,
          params: [...seg.params, from, size],
        })),
        ' union ',
      );
      const excluded = sql.exclude.length
        ? joinSql(
            sql.exclude.map((seg) => ({ sql: `exists (select 1 from (${seg.sql}) e(id) where e.id = c.id)`, params: seg.params })),
            ' or ',
          )
        : { sql: 'false', params: [] };
      judged = await em.execute<{ id: string; ok: boolean }[]>(
        `select c.id, (u.id is not null and c.id <> ? and not (${excluded.sql}) and ${sql.mayWrite.sql}) as ok
           from (select id from (${branches.sql}) b order by id limit ?) c left join users u on u.id = c.id
          order by c.id`,
        [sender, ...excluded.params, ...sql.mayWrite.params, ...branches.params, size],
      );
    }
    const recipients = judged.filter((r) => r.ok).map((r) => r.id);
    let written = 0;
    if (recipients.length) written = await this.writeCopies(em, row, recipients);
    const last = judged.length ? judged[judged.length - 1].id : after;
    const finished = judged.length < size;
    // The lane's resume point, done flag and counters; `sent` when this was the last lane to finish. Under this
    // update's row lock a concurrent lane's update waits, then sees this one's `lanes_done`. Canceled meanwhile: the
    // batch is rolled back (its copies with it).
    const updated = await em.execute<{ id: string }[]>(
      `update mass_messages set resume_after[?] = ?, lanes_done[?] = ?, recipients_count = recipients_count + ?, sent_count = sent_count + ?,
         status = case when ? and (select coalesce(bool_and(coalesce(lanes_done[i], false)), true) from generate_series(1, lanes) i where i <> ?)
           then 'sent' else status end,
         finished_at = case when ? and (select coalesce(bool_and(coalesce(lanes_done[i], false)), true) from generate_series(1, lanes) i where i <> ?)
           then now() else finished_at end
       where id = ? and status = 'sending' returning id`,
      [lane + 1, last, lane + 1, finished, written, written, finished, lane + 1, finished, lane + 1, id],
    );
    if (!updated.length) throw new MassMessageStopped();
    return { sending: true, after, last, written, finished };
  }

  /**
   * Conversations (created `active` on both sides where missing), the copies, and both sides' state, for `recipients`:
   * one statement. A new conversation's two sides are written with their final state (the copy as `last_message_id`,
   * the recipient's unread count 1); an existing one's are updated in set form as `MessagesRepository.delivered`
   * does one. Ids are made here (uuid v7), not by `uuid_generate_v7()`: 10,000 PL/pgSQL calls cost ~70 ms a batch.
   * Foreign keys are checked at the statement's end, after the conversations are in.
   */
  private async writeCopies(em: EntityManager, row: MassMessageRow, recipients: string[]): Promise<number> {
    const sender = row.sender_id;
    const at = new Date();
    const array = (ids: string[]) => `{${ids.join(',')}}`;
    const latest = `last_message_id = case when cm.last_activity_at is null or cm.last_activity_at <= ins.created_at then ins.id else cm.last_message_id end,
      last_activity_at = greatest(coalesce(cm.last_activity_at, ins.created_at), ins.created_at), hidden_at = null`;
    const [result] = await em.execute<{ n: number }[]>(
      `with r as (
         select r.id as rid, r.cid as new_cid, r.mid, least(?::uuid, r.id) as lo, greatest(?::uuid, r.id) as hi
           from unnest(?::uuid[], ?::uuid[], ?::uuid[]) r(id, cid, mid)),
       made as (
         insert into conversations (id, user_low_id, user_high_id, created_at)
         select new_cid, lo, hi, ? from r order by lo, hi
         on conflict (user_low_id, user_high_id) do nothing returning id),
       conv as (
         select r.rid, r.mid, coalesce(c.id, r.new_cid) as cid
           from r left join conversations c on c.user_low_id = r.lo and c.user_high_id = r.hi),
       ins as (
         insert into messages (id, conversation_id, sender_id, recipient_id, content, content_html, price_cents, currency, preview, mass_message_id, created_at)
         select conv.mid, conv.cid, ?::uuid, conv.rid, ?, ?, ?, ?, ?, ?, ? from conv
         on conflict (mass_message_id, recipient_id) where mass_message_id is not null do nothing
         returning id, conversation_id, recipient_id, created_at),
       sides as (
         insert into conversation_members (conversation_id, user_id, other_user_id, status, unread_count, last_message_id, last_activity_at, created_at)
         select ins.conversation_id, ?::uuid, ins.recipient_id, 'active', 0, ins.id, ins.created_at, ins.created_at from ins join made on made.id = ins.conversation_id
         union all
         select ins.conversation_id, ins.recipient_id, ?::uuid, 'active', 1, ins.id, ins.created_at, ins.created_at from ins join made on made.id = ins.conversation_id),
       mine as (
         update conversation_members cm set ${latest}, status = 'active' from ins
          where cm.conversation_id = ins.conversation_id and cm.user_id = ?::uuid),
       theirs as (
         update conversation_members cm set ${latest}, unread_count = cm.unread_count + 1 from ins
          where cm.conversation_id = ins.conversation_id and cm.user_id = ins.recipient_id)
       select count(*)::int as n from ins`,
      [
        sender,
        sender,
        array(recipients),
        array(recipients.map(() => v7())),
        array(recipients.map(() => v7())),
        at,
        sender,
        row.content,
        row.content_html,
        row.price_cents,
        row.currency,
        row.preview,
        row.id,
        at,
        sender,
        sender,
        sender,
      ],
    );
    return Number(result.n);
  }
}
