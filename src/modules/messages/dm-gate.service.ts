import { Injectable } from '@nestjs/common';
import { SqlFragment, SqlOperand, sql } from '@/common/database/sql-fragment';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { follows, notBlockedEitherWay } from '@/modules/social/social.predicates';
import { SocialService } from '@/modules/social/social.service';
import { ConversationStatus } from './entities/conversation-member.entity';
import { MessagesErrors } from './messages.errors';
import { MessagesRepository } from './messages.repository';

/**
 * Who may write to whom (docs/inbox.md#who-may-write): never to or from a suspended or deleted account, never across a
 * block either way, and, while the recipient has not taken the conversation up (their side is a `request`, or there is
 * none yet), only as the recipient's `dm_policy` allows. Also: whether a new conversation is a request for the recipient.
 */
@Injectable()
export class DmGateService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly social: SocialService,
    private readonly entitlements: EntitlementsService,
  ) {}

  /**
   * 403 unless `senderId` may write to `recipientId` now. `engaged`: the recipient's side is active (they replied,
   * accepted, or started it), so their policy no longer applies. Answers the status a new conversation gets on the
   * recipient's side: `active` when they follow the sender or the sender subscribes to them, else `request`.
   */
  async check(senderId: string, recipientId: string, engaged: boolean): Promise<ConversationStatus> {
    const status = await this.decide(senderId, recipientId, engaged);
    if (!status) throw MessagesErrors.mayNotWrite();
    return status;
  }

  /** As `check`, answering null where it would refuse: for sends nobody asked for (the welcome message skips). */
  async decide(senderId: string, recipientId: string, engaged: boolean): Promise<ConversationStatus | null> {
    const accounts = await this.messages.accounts([senderId, recipientId]);
    const recipient = accounts.get(recipientId);
    if (!recipient || recipient.suspended_at || accounts.get(senderId)?.suspended_at) return null;
    if (await this.social.isBlockedEitherWay(senderId, recipientId)) return null;
    // One after the other: inside a caller's transaction (the welcome message's) both would share one connection, and
    // two queries at once on one pg client is what pg deprecates.
    const graph = await this.social.graphView(recipientId, [senderId]);
    const subscribed = await this.entitlements.isSubscribed(senderId, recipientId);
    const followed = graph.following.has(senderId);
    if (!engaged) {
      const allowed =
        recipient.dm_policy === 'everyone' ||
        (recipient.dm_policy === 'following' && (followed || subscribed)) ||
        (recipient.dm_policy === 'subscribers' && subscribed);
      if (!allowed) return null;
    }
    return followed || subscribed ? 'active' : 'request';
  }

  /**
   * `decide`'s rule in SQL set form, for a fan-out that judges thousands of recipients in one statement (mass
   * messages): `sender` may write to `recipient` now. `recipient`'s `users` row is the caller's, aliased `users`
   * (its `suspended_at` and `dm_policy` are read from it). No block either way; neither account suspended (the
   * sender's own state the caller checks once); and, unless the recipient's side of their conversation is active
   * (engaged), their `dm_policy`: `everyone`, `following` (they follow the sender, or the sender subscribes to them),
   * `subscribers`, `nobody`. The same rule as `decide`, in the other form: change both together.
   */
  mayWriteSql(sender: SqlOperand, recipient: SqlOperand, users: string): SqlFragment {
    const subscribed = this.entitlements.subscriberAccessSql(sender, recipient);
    const policy = { column: `${users}.dm_policy` };
    const engaged = sql`exists (select 1 from conversation_members eng where eng.user_id = ${recipient} and eng.other_user_id = ${sender} and eng.status = 'active')`;
    // `everyone` (the default) first: most rows stop there, before the probes.
    return sql`(${{ column: `${users}.suspended_at` }} is null and ${notBlockedEitherWay(sender, recipient)} and (${policy} = 'everyone'
      or ${engaged}
      or (${policy} = 'following' and (${follows(recipient, sender)} or ${subscribed}))
      or (${policy} = 'subscribers' and ${subscribed})))`;
  }
}
