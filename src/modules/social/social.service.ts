import { Injectable } from '@nestjs/common';
import { EntitlementsService } from '@/modules/billing/entitlements.service';
import { RelationshipResponse } from '@/modules/users/dto/user.response';
import { FollowsRepository } from './repositories/follows.repository';

@Injectable()
export class SocialService {
  constructor(
    private readonly follows: FollowsRepository,
    private readonly entitlements: EntitlementsService,
  ) {}

  /** How `viewerId` stands to `targetId`: follows, blocks and mutes in one query, plus the subscription. */
  async relationship(viewerId: string, targetId: string): Promise<RelationshipResponse> {
    const [edges, subscribed] = await Promise.all([
      this.follows.relationshipEdges(viewerId, targetId),
      this.entitlements.isSubscribed(viewerId, targetId),
    ]);
    return { ...edges, subscribed };
  }
}
