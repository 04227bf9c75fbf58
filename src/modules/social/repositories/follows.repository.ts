import { EntityRepository } from '@mikro-orm/postgresql';
import { Follow } from '../entities/follow.entity';

export interface RelationshipEdges {
  following: boolean;
  followed_by: boolean;
  blocking: boolean;
  muting: boolean;
}

export class FollowsRepository extends EntityRepository<Follow> {
  /** Follows both ways, block and mute by the viewer: one round trip over the unique indexes. */
  async relationshipEdges(viewerId: string, targetId: string): Promise<RelationshipEdges> {
    const [row] = await this.getEntityManager().execute<RelationshipEdges[]>(
      `select exists(select 1 from follows where follower_id = ? and following_id = ?) as following,
              exists(select 1 from follows where follower_id = ? and following_id = ?) as followed_by,
              exists(select 1 from blocks where blocker_id = ? and blocked_id = ?) as blocking,
              exists(select 1 from mutes where muter_id = ? and muted_id = ?) as muting`,
      [viewerId, targetId, targetId, viewerId, viewerId, targetId, viewerId, targetId],
    );
    return row;
  }
}
