import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { OutboxService } from '@/common/outbox/outbox.service';
import { RelationshipResponse } from '@/modules/users/dto/user.response';
import { UserCountersService } from '@/modules/users/user-counters.service';
import { UsersService } from '@/modules/users/users.service';
import { BlocksRepository } from './repositories/blocks.repository';
import { FollowsRepository } from './repositories/follows.repository';
import { SocialErrors } from './social.errors';
import { SocialService } from './social.service';

/**
 * The viewer follows, unfollows, blocks or unblocks someone (muting is MutingService's). Each answers the relationship
 * as it stands after (SocialService). A follow's counters move in the transaction that inserted or deleted it.
 *
 * Lock order (docs/reliability.md#lock-order-of-follows-and-blocks): each transaction first locks both users rows
 * (`UserCountersService.lockUsers`, by id), and only then touches the pair's `follows` and `blocks` rows and counters.
 */
@Injectable()
export class RelationshipsService {
  constructor(
    private readonly follows: FollowsRepository,
    private readonly blocks: BlocksRepository,
    private readonly users: UsersService,
    private readonly counters: UserCountersService,
    private readonly outbox: OutboxService,
    private readonly social: SocialService,
  ) {}

  /** The app's entity manager (the repositories share it): no extra dependency for it. */
  private em(): EntityManager {
    return this.follows.getEntityManager();
  }

  async follow(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    if (target.id === actor.id) throw SocialErrors.self('follow');
    await this.em().fork().transactional(async (em) => {
      await this.counters.lockUsers(em, [actor.id, target.id]);
      // Asked under the pair's lock: a block that went first is seen here, one that comes after waits for this follow
      // and removes it, so no follow outlives a block.
      if (await this.blocks.isBlockedEitherWay(actor.id, target.id, em)) throw SocialErrors.blocked();
      if (!(await this.follows.follow(em, actor.id, target.id))) return;
      await this.counters.adjustFollowCounts(em, actor.id, target.id, 1);
      this.outbox.record(em, 'user.followed', { followerId: actor.id, followingId: target.id });
    });
    return this.social.relationship(actor.id, target.id);
  }

  async unfollow(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    if (target.id === actor.id) throw SocialErrors.self('unfollow');
    await this.em().fork().transactional(async (em) => {
      await this.counters.lockUsers(em, [actor.id, target.id]);
      await this.removeFollow(em, actor.id, target.id);
    });
    return this.social.relationship(actor.id, target.id);
  }

  /**
   * Blocking also ends follows both ways, with their counters, in one transaction; running subscriptions between the
   * two are set to cancel at the period end (billing, from the outbox).
   */
  async block(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    if (target.id === actor.id) throw SocialErrors.self('block');
    await this.em().fork().transactional(async (em: EntityManager) => {
      await this.counters.lockUsers(em, [actor.id, target.id]);
      await this.blocks.block(em, actor.id, target.id);
      await this.removeFollow(em, actor.id, target.id);
      await this.removeFollow(em, target.id, actor.id);
      // Billing ends paid access between the two at the period end (a repeat block only re-checks that).
      this.outbox.record(em, 'user.blocked', { blockerId: actor.id, blockedId: target.id });
    });
    return this.social.relationship(actor.id, target.id);
  }

  /** In the caller's transaction, under `lockUsers`: the follow goes, and the counters move only if it existed. */
  private async removeFollow(em: EntityManager, followerId: string, followingId: string): Promise<void> {
    if (await this.follows.unfollow(em, followerId, followingId)) await this.counters.adjustFollowCounts(em, followerId, followingId, -1);
  }

  async unblock(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    await this.blocks.unblock(this.em(), actor.id, target.id);
    return this.social.relationship(actor.id, target.id);
  }
}
