import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { column, SqlFragment, sql, text, value } from '@/common/database/sql-fragment';
import { Answers, Questions } from '@/common/database/together';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { follows, notBlockedEitherWay } from '@/modules/social/social.predicates';
import { SocialService } from '@/modules/social/social.service';
import { Visibility } from './entities/post.entity';
import { PostRow } from './post-row';
import { PostsErrors } from './posts.errors';
import { PostsRepository } from './repositories/posts.repository';

export interface PostAccess {
  /** The viewer may know the post exists (else: 404, absent from lists). */
  visible: boolean;
  /** Premium content the viewer has not paid for: no content, media without URLs, the teaser instead. */
  locked: boolean;
}

/** Posts judged for one viewer: the rows, the originals they repost, and the access to each of them. */
export interface JudgedPosts {
  rows: PostRow[];
  originals: Map<string, PostRow>;
  access: Map<string, PostAccess>;
}

/** A post the viewer may see. A repost comes with its original, which it stands or falls with. */
export interface VisiblePost {
  row: PostRow;
  access: PostAccess;
  original: { row: PostRow; access: PostAccess } | null;
}

/**
 * What the lock reads of anything that carries paid content: a post (its author) or a direct message (its sender).
 */
export interface LockInput {
  id: string;
  /** Whose content it is: the author of a post, the sender of a message. */
  owner_id: string;
  is_premium: boolean;
  price_cents: number | null;
  /** The lowest of the owner's tiers that opens it (posts only); null or absent: any subscriber. */
  min_tier_id?: string | null;
}

/**
 * The lock, one rule for posts and messages: premium content is locked for everyone but its owner, unless
 * - it names a tier (`min_tier_id`) and the viewer has subscriber access at that tier or a higher one (by position), or
 *   it also has a price and the viewer bought it;
 * - else it has no price and the viewer has subscriber access to the owner (any tier);
 * - else it has a price (pay-per-view) and the viewer bought it (a subscription does not buy it).
 * `subscribedOwners`: owners the viewer has subscriber access to; `bought`: ids of the items the viewer paid for;
 * `reachedTiers`: tiers the viewer has subscriber access at (or above).
 */
export function isLocked(
  viewerId: string | undefined,
  item: LockInput,
  subscribedOwners: ReadonlySet<string>,
  bought: ReadonlySet<string>,
  reachedTiers: ReadonlySet<string> = new Set(),
): boolean {
  if (!item.is_premium || item.owner_id === viewerId) return false;
  if (item.min_tier_id) return !(reachedTiers.has(item.min_tier_id) || (item.price_cents != null && bought.has(item.id)));
  const paid = item.price_cents != null ? bought.has(item.id) : subscribedOwners.has(item.owner_id);
  return !paid;
}

/** What the rule reads of a direct message. */
export interface MessageAccessInput {
  id: string;
  sender_id: string;
  recipient_id: string;
  price_cents: number | null;
  deleted_at: Date | string | null;
}

export interface MessageAccess {
  /** The viewer is one of its two participants (anyone else: 404, absent from lists). */
  visible: boolean;
  /** A paid message the viewer has not bought: no content, media without URLs, the teaser instead. */
  locked: boolean;
  /** Unsent by its sender: no content and no media, except for a buyer, who keeps what they bought. */
  unsent: boolean;
}

type Relation = 'following' | 'blocked' | 'subscribed' | 'unlocked' | 'tiers';

type AccessInput = Pick<PostRow, 'id' | 'user_id' | 'visibility' | 'is_premium' | 'price_cents' | 'author_suspended_at' | 'removed_at'> &
  Partial<Pick<PostRow, 'deleted_at' | 'min_tier_id'>>;

/**
 * Where a posts query keeps what the rule reads: `post` over `posts`, `author` over `users` joined on
 * `author.id = post.user_id`. Aliases are identifiers written in our code, never input.
 */
export interface PostAliases {
  post: string;
  author: string;
}

const P_U: PostAliases = { post: 'p', author: 'u' };

/** Whether `row` may be shown: visible itself and, for a repost, its original live and visible too. */
function shows(row: PostRow, judged: Pick<JudgedPosts, 'originals' | 'access'>): boolean {
  if (!judged.access.get(row.id)?.visible) return false;
  if (!row.repost_of_id) return true;
  return !!judged.access.get(row.repost_of_id)?.visible && judged.originals.has(row.repost_of_id);
}

/** The judgement `requireVisible` made, as the renderer takes it (no access look-up again). */
export function judgedOf(posts: VisiblePost[]): JudgedPosts {
  const judged: JudgedPosts = { rows: [], originals: new Map(), access: new Map() };
  for (const post of posts) {
    judged.rows.push(post.row);
    judged.access.set(post.row.id, post.access);
    if (post.original) {
      judged.originals.set(post.original.row.id, post.original.row);
      judged.access.set(post.original.row.id, post.original.access);
    }
  }
  return judged;
}

/** Several judgements as one, rows in order, for rendering in one batch. */
export function combine(...parts: JudgedPosts[]): JudgedPosts {
  return {
    rows: parts.flatMap((p) => p.rows),
    originals: new Map(parts.flatMap((p) => [...p.originals])),
    access: new Map(parts.flatMap((p) => [...p.access])),
  };
}

/**
 * The one visibility and entitlement rule, used by every read path (posts, threads, timelines, tags, likes,
 * notifications, unlocks). Batched: any number of posts costs one query for the relations the rule needs (follows,
 * blocks, subscriptions, unlocks), which the renderer's own questions join.
 *
 * - a post removed by a moderator or deleted, or whose author is suspended (or deleted), is gone for everyone, its
 *   author included;
 * - the author sees everything else; a block hides each side's posts from the other;
 * - `public` is for everyone, `followers` for followers, `subscribers` for subscribers with access (the entitlements
 *   rule, `entitlements/subscriber-access.ts`);
 * - `is_premium` locks the content: without a price for subscribers with access, with a price for buyers only; with a
 *   `min_tier_id` for subscribers with access at that tier or a higher one (tier rank: `position`), and for buyers
 *   when it also has a price;
 * - a repost is shown only while its original is.
 *
 * Two entry points: `requireVisible` decides a 404 without rendering anything; `judge` is what the renderer
 * (PostViewsService) asks about a page of rows. The same rule in SQL, for queries that filter in the database
 * (timelines, search, discovery, media): `visibleSql`, `readableSql` and `openSql`, beside `decide` and written from
 * the same cases (`test/e2e/visibility-rule.e2e-spec.ts` runs one matrix over both forms). Nowhere else is the rule
 * written out.
 */
@Injectable()
export class PostAccessPolicy {
  constructor(
    private readonly posts: PostsRepository,
    private readonly social: SocialService,
    private readonly entitlements: EntitlementsService,
  ) {}

  /**
   * The posts `ids` as `viewer` may see them, in the order asked, or the 404 problem when any of them is missing,
   * deleted, or hidden from the viewer (a hidden post answers exactly like a missing one). Rows and the rule only:
   * one read of the rows (two for a repost: its original), then the batched rule.
   */
  async requireVisible(viewer: AuthUser | undefined, ids: string[]): Promise<VisiblePost[]> {
    return (await this.requireVisibleWith(viewer, ids)).posts;
  }

  /**
   * Whether `viewer` may see the post `id` now: false when it is missing, deleted or hidden from them. A decision, never
   * an error: a query that fails (a killed backend, a timeout) throws, so that a caller such as a notification handler
   * fails and is retried instead of reading the failure as "not visible" (issue 24).
   */
  async canView(viewer: AuthUser | undefined, id: string): Promise<boolean> {
    const judged = await this.judge(viewer, await this.posts.findRows([id]));
    const [row] = judged.rows;
    return !!row && shows(row, judged);
  }

  /** `requireVisible`, with the caller's own questions about the rows (`also`) answered in the same round trip. */
  async requireVisibleWith(viewer: AuthUser | undefined, ids: string[], also?: (all: PostRow[]) => Questions): Promise<{ posts: VisiblePost[]; answers: Answers }> {
    const judged = await this.judge(viewer, await this.posts.findRows([...new Set(ids)]), also);
    const byId = new Map(judged.rows.map((r) => [r.id, r]));
    const posts = ids.map((id) => {
      const row = byId.get(id);
      if (!row || !shows(row, judged)) throw PostsErrors.notFound();
      const original = row.repost_of_id ? judged.originals.get(row.repost_of_id)! : undefined;
      return {
        row,
        access: judged.access.get(id)!,
        original: original ? { row: original, access: judged.access.get(original.id)! } : null,
      };
    });
    return { posts, answers: judged.answers };
  }

  /**
   * The rule over a page of rows, with the originals they repost fetched and judged alongside. The relations the rule
   * needs (follows, blocks, subscriptions, unlocks) are one round trip; `also` adds the caller's own questions about
   * the same posts to it (the renderer's likes, reposts and media), answered in `answers`.
   */
  async judge(viewer: AuthUser | undefined, rows: PostRow[], also?: (all: PostRow[]) => Questions): Promise<JudgedPosts & { answers: Answers }> {
    const originalIds = [...new Set(rows.map((r) => r.repost_of_id).filter((id): id is string => !!id))];
    const originals = new Map((await this.posts.findRows(originalIds)).map((r) => [r.id, r]));
    const all = [...rows, ...originals.values()];
    const extra = also?.(all) ?? {};
    const answers = await this.posts.together({ sets: { ...extra.sets, ...this.relationsSql(viewer, all) }, values: extra.values });
    return { rows, originals, access: this.decide(viewer, all, answers.sets), answers };
  }

  /**
   * What the rule must know about the viewer and these posts' authors, as `select id` fragments written by the
   * modules that own the tables (social's follows and blocks, entitlements' subscriptions and unlocks), none for a
   * question nobody needs answered (no viewer, only the viewer's own posts, no paid post).
   */
  private relationsSql(viewer: AuthUser | undefined, posts: AccessInput[]): Record<Relation, SqlFragment | undefined> {
    if (!viewer) return { following: undefined, blocked: undefined, subscribed: undefined, unlocked: undefined, tiers: undefined };
    const others = posts.filter((p) => p.user_id !== viewer.id);
    const authors = [...new Set(others.map((p) => p.user_id))];
    const needsSubscription = [
      ...new Set(others.filter((p) => p.visibility === 'subscribers' || (p.is_premium && p.price_cents == null && !p.min_tier_id)).map((p) => p.user_id)),
    ];
    const payPerView = others.filter((p) => p.is_premium && p.price_cents != null).map((p) => p.id);
    const minTiers = [...new Set(others.filter((p) => p.is_premium && p.min_tier_id).map((p) => p.min_tier_id!))];
    const graph = this.social.graphViewSql(viewer.id, authors);
    return {
      following: graph.following,
      blocked: graph.blocked,
      subscribed: this.entitlements.subscribedCreatorsSql(viewer.id, needsSubscription),
      unlocked: this.entitlements.unlockedPostsSql(viewer.id, payPerView),
      tiers: this.entitlements.tiersReachedSql(viewer.id, minTiers),
    };
  }

  /** Whether `tierId` is one of `authorId`'s non-archived tiers: what a post may name as its `min_tier_id`. */
  isLiveTierOf(authorId: string, tierId: string): Promise<boolean> {
    return this.entitlements.isLiveTierOf(authorId, tierId);
  }

  /**
   * `decide`'s `visible` as SQL over a posts row and its author (`p` and `u` unless told): the post is live (neither
   * deleted nor removed), its author active, and it is the viewer's own or, across no block, `public`, `followers` and
   * followed (social's `follows`), or `subscribers` with subscriber access (entitlements). Anonymous: live and public.
   *
   * `followedAuthors`: the caller's query keeps only the viewer's own posts and those of authors the viewer follows
   * (the home timeline). Then following is a given, and so is the absence of a block (blocking ends follows both ways
   * and nobody follows across a block: social's invariant), so neither is probed once per post. The renderer's
   * `decide` still judges every row.
   */
  visibleSql(viewer: AuthUser | undefined, at: PostAliases = P_U, options: { followedAuthors?: boolean } = {}): SqlFragment {
    const live = text(`${at.post}.deleted_at is null and ${at.post}.removed_at is null and ${at.author}.suspended_at is null`);
    const visibility = (name: Visibility) => text(`${at.post}.visibility = '${name}'`);
    if (!viewer) return sql`(${live} and ${visibility('public')})`;
    const v = value(viewer.id);
    const author = column(`${at.post}.user_id`);
    const own = sql`${author} = ${v}`;
    const subscriber = sql`(${visibility('subscribers')} and ${this.entitlements.subscriberAccessSql(v, author)})`;
    // `<> 'subscribers'` first: true for most posts, so the rest is rarely evaluated (the home timeline's hot filter).
    if (options.followedAuthors) return sql`(${live} and (${text(`${at.post}.visibility <> 'subscribers'`)} or ${own} or ${subscriber}))`;
    const audience = sql`(${visibility('public')} or (${visibility('followers')} and ${follows(v, author)}) or ${subscriber})`;
    return sql`(${live} and (${own} or (${notBlockedEitherWay(v, author)} and ${audience})))`;
  }

  /**
   * `decide`'s `locked` negated, as SQL (for a post the viewer may see): its content is the viewer's to read. Not
   * premium, or the viewer's own, or premium without a price nor a tier and the viewer has subscriber access, or with
   * a tier and the viewer has subscriber access at that tier or a higher one, or with a price and the viewer bought
   * it. Anonymous: not premium.
   */
  readableSql(viewer: AuthUser | undefined, at: Pick<PostAliases, 'post'> = P_U): SqlFragment {
    const p = at.post;
    if (!viewer) return text(`not ${p}.is_premium`);
    const v = value(viewer.id);
    return sql`(not ${text(`${p}.is_premium`)} or ${column(`${p}.user_id`)} = ${v}
      or (${text(`${p}.price_cents is null and ${p}.min_tier_id is null`)} and ${this.entitlements.subscriberAccessSql(v, column(`${p}.user_id`))})
      or (${text(`${p}.min_tier_id is not null`)} and ${this.entitlements.tierAccessSql(v, column(`${p}.min_tier_id`))})
      or (${text(`${p}.price_cents is not null`)} and ${this.entitlements.unlockedSql(v, column(`${p}.id`))}))`;
  }

  /**
   * Open to anyone, signed in or not, content and media alike: visible and readable with no viewer. What may be served
   * or counted without asking who is looking (media without a signature, trending tags, hashtag counts).
   */
  openSql(at: PostAliases = P_U): SqlFragment {
    return sql`(${this.visibleSql(undefined, at)} and ${this.readableSql(undefined, at)})`;
  }

  /** `openSql` for one row (`decide` for nobody): what the renderer serves without signed URLs. */
  isOpen(post: AccessInput): boolean {
    const access = this.decide(undefined, [post], {}).get(post.id)!;
    return access.visible && !access.locked;
  }

  /**
   * The rule for direct messages, with the same lock as posts (`isLocked`): a message with a price is pay-per-view for
   * its recipient, open to its sender; only the two participants see it at all. `bought`: the messages `viewer` paid
   * for (empty until message unlocks exist, docs/inbox.md#paid-messages). A message is never premium without a price:
   * subscriber access opens nothing in an inbox.
   */
  decideMessages(viewer: AuthUser, messages: MessageAccessInput[], bought: ReadonlySet<string>): Map<string, MessageAccess> {
    const none = new Set<string>();
    const result = new Map<string, MessageAccess>();
    for (const m of messages) {
      const visible = m.sender_id === viewer.id || m.recipient_id === viewer.id;
      const lock: LockInput = { id: m.id, owner_id: m.sender_id, is_premium: m.price_cents != null, price_cents: m.price_cents };
      result.set(m.id, {
        visible,
        locked: visible && isLocked(viewer.id, lock, none, bought),
        unsent: !!m.deleted_at && !bought.has(m.id),
      });
    }
    return result;
  }

  /** The rule itself, given the viewer's relations to the posts' authors (`relationsSql`, answered). */
  private decide(viewer: AuthUser | undefined, posts: AccessInput[], relations: Record<string, Set<string>>): Map<string, PostAccess> {
    const result = new Map<string, PostAccess>();
    const none = new Set<string>();
    const graph = viewer ? { following: relations.following ?? none, blocked: relations.blocked ?? none } : undefined;
    const subscribed = relations.subscribed ?? none;
    const unlocked = relations.unlocked ?? none;
    const tiers = relations.tiers ?? none;
    for (const post of posts) {
      // Removed by a moderator (a report's `remove_post`): gone for everyone; the row stays for the audit. Deleted by
      // its author, or its author suspended (a deleted account is suspended too): gone for everyone as well.
      if (post.removed_at || post.deleted_at || post.author_suspended_at) {
        result.set(post.id, { visible: false, locked: false });
        continue;
      }
      if (viewer && post.user_id === viewer.id) {
        result.set(post.id, { visible: true, locked: false });
        continue;
      }
      const visible =
        !graph?.blocked.has(post.user_id) &&
        (post.visibility === 'public' ||
          (post.visibility === 'followers' && !!graph?.following.has(post.user_id)) ||
          (post.visibility === 'subscribers' && subscribed.has(post.user_id)));
      result.set(post.id, { visible, locked: visible && isLocked(viewer?.id, { ...post, owner_id: post.user_id }, subscribed, unlocked, tiers) });
    }
    return result;
  }
}
