import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { SqlFragment } from '@/common/database/sql-fragment';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { PublicUserResponse, RelationshipResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { BlocksRepository } from './repositories/blocks.repository';
import { FollowsRepository } from './repositories/follows.repository';
import { MutesRepository } from './repositories/mutes.repository';

/** What the graph says about a set of authors, for one viewer: one query per relation, whatever the count. */
export interface GraphView {
  following: Set<string>;
  blocked: Set<string>;
}

/**
 * The social graph as others read it: relationships, public profiles, follower lists, and the batched questions and
 * SQL fragments the read paths ask. The viewer's own changes (follow, block, mute) are RelationshipsService's.
 */
@Injectable()
export class SocialService {
  constructor(
    private readonly follows: FollowsRepository,
    private readonly blocks: BlocksRepository,
    private readonly mutes: MutesRepository,
    private readonly users: UsersService,
    private readonly entitlements: EntitlementsService,
  ) {}

  async relationship(viewerId: string, targetId: string): Promise<RelationshipResponse> {
    const [edges, subscribed] = await Promise.all([
      this.follows.relationshipEdges(viewerId, targetId),
      this.entitlements.isSubscribed(viewerId, targetId),
    ]);
    return { ...edges, subscribed };
  }

  /** A public profile; suspended accounts do not exist for others. `relationship` only for a signed-in viewer. */
  async profile(viewer: AuthUser | undefined, username: string): Promise<PublicUserResponse> {
    const user = await this.users.getActiveByUsername(username);
    const relationship = viewer && viewer.id !== user.id ? await this.relationship(viewer.id, user.id) : undefined;
    return toPublicUserResponse(user, relationship);
  }

  /**
   * `graphView` as SQL, for a caller that asks it together with other questions in one round trip: a `select id` per
   * relation (`following`, `blocked`), none when there is nobody to ask about.
   */
  graphViewSql(viewerId: string, userIds: string[]): Partial<Record<keyof GraphView, SqlFragment>> {
    const others = [...new Set(userIds)].filter((id) => id !== viewerId);
    if (!others.length) return {};
    return { following: FollowsRepository.followingAmongSql(viewerId, others), blocked: BlocksRepository.blockedEitherWaySql(viewerId, others) };
  }

  async graphView(viewerId: string, userIds: string[]): Promise<GraphView> {
    const others = [...new Set(userIds)].filter((id) => id !== viewerId);
    const [following, blocked] = await Promise.all([
      this.follows.followingAmong(viewerId, others),
      this.blocks.blockedEitherWay(viewerId, others),
    ]);
    return { following, blocked };
  }

  /** Whether `recipientId` blocks, is blocked by, or mutes `actorId`: such an actor never notifies them. */
  async silences(recipientId: string, actorId: string): Promise<boolean> {
    const [blocked, muted] = await Promise.all([
      this.blocks.isBlockedEitherWay(recipientId, actorId),
      this.mutes.mutedAmong(recipientId, [actorId]),
    ]);
    return blocked || muted.has(actorId);
  }

  isBlockedEitherWay(a: string, b: string): Promise<boolean> {
    return this.blocks.isBlockedEitherWay(a, b);
  }

  /** Followers or followings of `username`; a signed-in viewer sees nobody across a block with them. */
  async list(viewer: AuthUser | undefined, side: 'followers' | 'following', username: string, query: PageQuery): Promise<Page<PublicUserResponse>> {
    const owner = await this.users.getActiveByUsername(username);
    const rows = await this.follows.page(side, owner.id, viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    const users = new Map((await this.users.findActiveByIds(rows.map((r) => r.user_id))).map((u) => [u.id, u]));
    return toPage(
      rows.filter((r) => users.has(r.user_id)),
      query.limit,
      (r) => ({ at: new Date(r.followed_at), id: r.follow_id }),
      (r) => toPublicUserResponse(users.get(r.user_id)!),
    );
  }
}
