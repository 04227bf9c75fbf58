import { Injectable } from '@nestjs/common';
import { column, SqlFragment, value } from '@/common/database/sql-fragment';
import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { ListsService } from '@/modules/lists/lists.service';
import { followerIdsSql } from '@/modules/social/social.predicates';
import { DmGateService } from './dm-gate.service';
import { MassAudience } from './entities/mass-message.entity';
import { AudienceSql } from './mass-messages.repository';

/**
 * A mass message's audience (docs/inbox.md#mass-messages): its segments checked when it is sent, and turned into SQL
 * for the fan-out, each by the module that owns its rule: `subscribers` and `expired_subscribers` (entitlements: the
 * subscriber-access rule), `followers` (social), `list:<id>` (lists: the sender's own list), `tier:<id>` (entitlements:
 * active subscribers at that tier of the sender's or a higher one).
 */
@Injectable()
export class MassAudienceService {
  constructor(
    private readonly lists: ListsService,
    private readonly entitlements: EntitlementsService,
    private readonly gate: DmGateService,
  ) {}

  /** 422 (field `audience`) for a segment the sender may not use: a tier or a list not their own. */
  async check(senderId: string, audience: MassAudience): Promise<void> {
    for (const segment of new Set([...audience.include, ...audience.exclude])) {
      const [kind, id] = segment.split(':');
      if (kind === 'tier' && !(await this.entitlements.isTierOf(senderId, id.toLowerCase()))) throw unknownSegment(segment);
      if (kind === 'list' && !(await this.ownsList(senderId, id))) throw unknownSegment(segment);
    }
  }

  /** The audience of `senderId`'s mass message as SQL: each segment a `select id`, and the send's rule. */
  sql(senderId: string, audience: MassAudience): AudienceSql {
    return {
      include: audience.include.map((s) => this.segmentSql(senderId, s)),
      exclude: audience.exclude.map((s) => this.segmentSql(senderId, s)),
      mayWrite: this.gate.mayWriteSql(value(senderId), column('c.id'), 'u'),
    };
  }

  private segmentSql(senderId: string, segment: string): SqlFragment {
    const [kind, id] = segment.split(':');
    switch (kind.toLowerCase()) {
      case 'subscribers':
        return this.entitlements.subscriberIdsSql(senderId, 'active');
      case 'expired_subscribers':
        return this.entitlements.subscriberIdsSql(senderId, 'expired');
      case 'followers':
        return followerIdsSql(value(senderId));
      case 'list':
        // Checked as the sender's own when the mass message was sent; lists never change owner.
        return this.lists.memberIdsSql(id.toLowerCase());
      case 'tier':
        // Checked as the sender's own when the mass message was sent; tiers never change creator.
        return this.entitlements.tierSubscriberIdsSql(senderId, id.toLowerCase());
      default:
        // No other kind passes the DTO's pattern.
        return { sql: 'select null::uuid as id where false', params: [] };
    }
  }

  private async ownsList(senderId: string, listId: string): Promise<boolean> {
    try {
      await this.lists.requireOwn(senderId, listId.toLowerCase());
      return true;
    } catch (error) {
      // The lists module's answer for a list that is not the sender's (a decision, not a failure); anything else fails.
      if (error instanceof AppException && error.status === 404) return false;
      throw error;
    }
  }
}

const unknownSegment = (segment: string) =>
  new AppException(ErrorCode.ValidationFailed, `unknown_segment: ${segment} is no segment of yours`, {
    status: 422,
    errors: [{ field: 'audience', message: `unknown_segment: ${segment}` }],
  });
