import { Client } from 'pg';
import type { InboxTraffic } from './inbox';
import { MASS_COPIES, NOTIFYING, positionParams, UNREAD_ROWS } from './invariants';

/**
 * What a broken invariant leaves to look at: the rows behind each violation, with the outbox events and receipts
 * that concern them, printed while the kept database still holds them (the soak keeps it when a row breaks).
 */

/** The outbox events that caused a notification of each type, matched on their payload. */
const EVENT_OF: Record<string, { type: string; payload: (o: Offender) => Record<string, string | null> }> = {
  like: { type: 'post.liked', payload: (o) => ({ userId: o.sender, postId: o.post }) },
  follow: { type: 'user.followed', payload: (o) => ({ followerId: o.sender, followingId: o.recipient }) },
  reply: { type: 'post.replied', payload: (o) => ({ userId: o.sender, replyId: o.post }) },
  repost: { type: 'post.reposted', payload: (o) => ({ userId: o.sender, postId: o.post }) },
};

const LIMIT = 20;

interface Offender {
  recipient: string;
  sender: string;
  post: string | null;
  at: Date;
}

/** The notifications between the two (any post), the events about the pair and each event's receipts. */
async function describeOffender(db: Client, type: string, o: Offender): Promise<string[]> {
  const lines = [`  ${type}: recipient ${o.recipient}, sender ${o.sender}, post ${o.post ?? '-'}, ${type} created_at ${new Date(o.at).toISOString()}`];
  const { rows: notes } = await db.query<{ id: string; type: string; post_id: string | null; created_at: Date; dedupe_key: string }>(
    `select id, type, post_id, created_at, dedupe_key from notifications where user_id = $1 and from_user_id = $2 order by created_at`,
    [o.recipient, o.sender],
  );
  for (const n of notes) lines.push(`    notification ${n.id} ${n.type} post ${n.post_id ?? '-'} at ${n.created_at.toISOString()} (${n.dedupe_key})`);
  if (!notes.length) lines.push('    no notification at all from the sender to the recipient');
  const event = EVENT_OF[type];
  const { rows: events } = await db.query<{ id: string; type: string; created_at: Date; dispatched_at: Date | null; handled_at: Date | null; attempts: number; last_error: string | null }>(
    `select id, type, created_at, dispatched_at, handled_at, attempts, last_error from outbox_events
      where type = $1 and payload::jsonb @> $2::jsonb order by id`,
    [event.type, JSON.stringify(event.payload(o))],
  );
  if (!events.length) lines.push(`    no ${event.type} event (one is recorded with every change that notifies; handled ones are deleted after a week)`);
  for (const e of events) {
    const { rows: receipts } = await db.query<{ subscriber: string; handled_at: Date }>('select subscriber, handled_at from outbox_receipts where event_id = $1 order by handled_at', [e.id]);
    lines.push(
      `    event ${e.id} ${e.type} created ${e.created_at.toISOString()}, sent ${e.dispatched_at?.toISOString() ?? 'never'} (${e.attempts}×), ` +
        `handled ${e.handled_at?.toISOString() ?? 'no'}${e.last_error ? `, last error ${e.last_error}` : ''}`,
    );
    for (const r of receipts) lines.push(`      receipt ${r.subscriber} at ${r.handled_at.toISOString()}`);
    if (!receipts.length) lines.push('      no receipt');
  }
  return lines;
}

async function notificationEvidence(db: Client): Promise<string[]> {
  const lines: string[] = [];
  for (const { type, source } of NOTIFYING) {
    const { rows: missing } = await db.query<Offender>(
      `with expected as (${source})
       select e.recipient, e.sender, e.post, e.at from expected e
        where not exists (select 1 from notifications n where n.type = $1 and n.user_id = e.recipient and n.from_user_id = e.sender and n.post_id is not distinct from e.post)
        order by e.at limit ${LIMIT}`,
      [type],
    );
    const { rows: doubled } = await db.query<{ user_id: string; from_user_id: string; post_id: string | null; n: number; at: Date }>(
      `select user_id, from_user_id, post_id, count(*)::int as n, min(created_at) as at from notifications where type = $1
        group by 1, 2, 3 having count(*) > 1 limit ${LIMIT}`,
      [type],
    );
    if (missing.length) lines.push(`missing '${type}' notifications (first ${LIMIT}):`);
    for (const o of missing) lines.push(...(await describeOffender(db, type, o)));
    if (doubled.length) lines.push(`doubled '${type}' notifications (first ${LIMIT}):`);
    for (const d of doubled) {
      lines.push(`  ${d.n}×:`);
      lines.push(...(await describeOffender(db, type, { recipient: d.user_id, sender: d.from_user_id, post: d.post_id, at: d.at })));
    }
  }
  return lines;
}

/** Every other row that breaks, by id, with what the database says about it. */
async function otherEvidence(db: Client, inputs: { premiumPosts: string[]; uploads: string[]; premiumCreatorId: string }): Promise<string[]> {
  const lines: string[] = [];
  const counters = await db.query<{ id: string; likes_count: number; likes: number; replies_count: number; replies: number; retweets_count: number; reposts: number }>(
    `select p.id, p.likes_count, (select count(*)::int from likes l where l.post_id = p.id) as likes,
            p.replies_count, (select count(*)::int from posts r where r.reply_to_id = p.id and r.deleted_at is null) as replies,
            p.retweets_count, (select count(*)::int from posts r where r.repost_of_id = p.id and r.deleted_at is null) as reposts
       from posts p
      where p.likes_count <> (select count(*) from likes l where l.post_id = p.id)
         or p.replies_count <> (select count(*) from posts r where r.reply_to_id = p.id and r.deleted_at is null)
         or p.retweets_count <> (select count(*) from posts r where r.repost_of_id = p.id and r.deleted_at is null)
      limit ${LIMIT}`,
  );
  for (const r of counters.rows) {
    lines.push(`post ${r.id}: likes_count ${r.likes_count} (rows ${r.likes}), replies_count ${r.replies_count} (rows ${r.replies}), retweets_count ${r.retweets_count} (rows ${r.reposts})`);
  }
  const users = await db.query<{ id: string; followers_count: number; followers: number; following_count: number; following: number; posts_count: number; posts: number }>(
    `select u.id, u.followers_count, (select count(*)::int from follows f where f.following_id = u.id) as followers,
            u.following_count, (select count(*)::int from follows f where f.follower_id = u.id) as following,
            u.posts_count, (select count(*)::int from posts p where p.user_id = u.id and p.deleted_at is null) as posts
       from users u
      where u.followers_count <> (select count(*) from follows f where f.following_id = u.id)
         or u.following_count <> (select count(*) from follows f where f.follower_id = u.id)
         or u.posts_count <> (select count(*) from posts p where p.user_id = u.id and p.deleted_at is null)
      limit ${LIMIT}`,
  );
  for (const r of users.rows) {
    lines.push(
      `user ${r.id}: followers_count ${r.followers_count} (rows ${r.followers}), following_count ${r.following_count} (rows ${r.following}), posts_count ${r.posts_count} (rows ${r.posts})`,
    );
  }
  const premium = await db.query<{ id: string; n: number; subscribers: number; events: string }>(
    `select p.id, (select count(*)::int from notifications n where n.type = 'subscribed_post' and n.post_id = p.id) as n,
            (select count(*)::int from subscriptions s where s.creator_id = $2 and s.status = 'active') as subscribers,
            (select string_agg(e.type || ' ' || e.id || ' handled ' || coalesce(e.handled_at::text, 'no') || ' receipts ' ||
                    (select count(*) from outbox_receipts r where r.event_id = e.id), '; ')
               from outbox_events e where e.payload::jsonb @> jsonb_build_object('postId', p.id::text) and e.type like 'premium_post.%') as events
       from posts p where p.id = any($1::uuid[])`,
    [inputs.premiumPosts, inputs.premiumCreatorId],
  );
  for (const r of premium.rows.filter((p) => p.n !== p.subscribers).slice(0, LIMIT)) {
    lines.push(`premium post ${r.id}: ${r.n} subscribed_post notifications for ${r.subscribers} subscribers; events: ${r.events ?? 'none'}`);
  }
  const media = await db.query<{ id: string; status: string; created_at: Date }>(
    `select id, status, created_at from media where id = any($1::uuid[]) and status not in ('ready', 'failed') limit ${LIMIT}`,
    [inputs.uploads],
  );
  for (const r of media.rows) lines.push(`upload ${r.id}: ${r.status} since ${r.created_at.toISOString()}`);
  return lines;
}

/**
 * The inbox's offenders: each side whose unread count is not its unread rows (with its read position and the messages
 * after it), each purchase not unlocked, booked and notified once (with its checkout session, Stripe event, unlock rows
 * and outbox events), each mass-message recipient without exactly one copy.
 */
async function inboxEvidence(db: Client, inbox: InboxTraffic, premiumCreatorId: string): Promise<string[]> {
  const lines: string[] = [];
  const { rows: sides } = await db.query<{ conversation_id: string; user_id: string; status: string; unread_count: number; unread_rows: number; up_to_id: string | null; last_read_at: Date | null }>(
    `select * from (${UNREAD_ROWS}) x where unread_count <> unread_rows limit ${LIMIT}`,
    positionParams(inbox),
  );
  for (const r of sides) {
    lines.push(
      `conversation ${r.conversation_id}, side of ${r.user_id} (${r.status}): unread_count ${r.unread_count}, unread rows ${r.unread_rows}; ` +
        `read up to ${r.up_to_id ?? 'never read'}, last_read_at ${r.last_read_at?.toISOString() ?? '-'}`,
    );
    const { rows: received } = await db.query<{ id: string; created_at: Date; deleted_at: Date | null; price_cents: number | null }>(
      `select id, created_at, deleted_at, price_cents from messages where conversation_id = $1 and recipient_id = $2 order by created_at desc, id desc limit 8`,
      [r.conversation_id, r.user_id],
    );
    for (const m of received) {
      lines.push(`    received ${m.id} at ${m.created_at.toISOString()}${m.id === r.up_to_id ? ' (the read position)' : ''}${m.deleted_at ? ', unsent' : ''}${m.price_cents ? ', paid' : ''}`);
    }
  }
  for (const p of inbox.purchases) {
    const { rows: [r] } = await db.query<{ unlocks: string; ledger: number; notified: number; session: string; events: string; outbox: string }>(
      `select (select string_agg(mu.status || ' ' || mu.created_at, '; ') from message_unlocks mu where mu.message_id = $1 and mu.user_id = $2) as unlocks,
              (select count(*)::int from earnings_entries e where e.kind = 'message_unlock' and e.stripe_object_id = $3) as ledger,
              (select count(*)::int from notifications n where n.type = 'message_unlocked' and n.dedupe_key = 'message_unlocked:' || $2 || ':' || $1) as notified,
              (select string_agg(cs.mode || ' ' || coalesce(cs.message_id::text, '-'), '; ') from checkout_sessions cs where cs.id = $3) as session,
              (select string_agg(se.type || ' ' || se.stripe_event_id || ' processed ' || coalesce(se.processed_at::text, 'no') || coalesce(' error ' || se.last_error, ''), '; ')
                 from stripe_events se where se.stripe_event_id = $4) as events,
              (select string_agg(e.type || ' ' || e.id || ' handled ' || coalesce(e.handled_at::text, 'no'), '; ')
                 from outbox_events e where e.type = 'message.unlocked' and e.payload::jsonb @> jsonb_build_object('messageId', $1::text)) as outbox`,
      [p.messageId, p.buyerId, p.sessionId, p.event.id],
    );
    const once = r.unlocks && !r.unlocks.includes(';') && r.unlocks.startsWith('paid') && r.ledger === 1 && r.notified === 1;
    if (once) continue;
    lines.push(
      `purchase of message ${p.messageId} by ${p.buyerId} (session ${p.sessionId}): unlocks [${r.unlocks ?? 'none'}], ledger ${r.ledger}, notifications ${r.notified}; ` +
        `checkout_sessions [${r.session ?? 'none'}]; Stripe event [${r.events ?? 'not stored'}]; outbox [${r.outbox ?? 'none'}]`,
    );
  }
  if (inbox.massMessages.length) {
    const { rows: mass } = await db.query<{ mass_message_id: string; recipient_id: string; copies: number; in_audience: boolean }>(
      `select * from (${MASS_COPIES}) x where copies <> 1 or not in_audience limit ${LIMIT}`,
      [inbox.massMessages, premiumCreatorId],
    );
    for (const m of mass) {
      lines.push(`mass message ${m.mass_message_id}: recipient ${m.recipient_id} holds ${m.copies} copies${m.in_audience ? '' : ' (not in the audience)'}`);
    }
  }
  return lines;
}

/** The offending rows of every broken invariant, as lines to print. */
export async function collectEvidence(db: Client, inputs: { premiumPosts: string[]; uploads: string[]; premiumCreatorId: string; inbox: InboxTraffic }): Promise<string[]> {
  return [...(await notificationEvidence(db)), ...(await otherEvidence(db, inputs)), ...(await inboxEvidence(db, inputs.inbox, inputs.premiumCreatorId))];
}
