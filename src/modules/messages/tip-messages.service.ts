import { Injectable } from '@nestjs/common';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { TipRecipient, TipTargets } from '@/modules/billing/billing.ports';
import { User } from '@/modules/users/entities/user.entity';
import { ConversationsService } from './conversations.service';
import { DmGateService } from './dm-gate.service';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { MessageViewsService } from './message-views.service';
import { MessagesRepository } from './messages.repository';

/**
 * Tips in the inbox (docs/inbox.md#tips). Billing's `TIP_TARGETS` port: who a tip in a conversation pays, and whether a
 * tip may reach its creator (the send's rules without `dm_policy`: no block either way, no suspended or deleted
 * account). And the tip message: once billing records a paid tip (`tip.received`), a message from the tipper to the
 * creator with `tip_cents` and the tip's note as its content, in their conversation (opened `active` if new).
 */
@Injectable()
export class TipMessagesService implements TipTargets {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsService,
    private readonly gate: DmGateService,
    private readonly views: MessageViewsService,
    private readonly outbox: OutboxService,
  ) {}

  async conversationRecipient(tipper: AuthUser, conversationId: string): Promise<TipRecipient> {
    const member = await this.conversations.requireMember(tipper, conversationId);
    await this.gate.check(tipper.id, member.other_user_id, true);
    return { id: member.other_user_id, username: member.other_username, currency: await this.messages.currencyOf(member.other_user_id) };
  }

  async assertMayTip(tipperId: string, creatorId: string): Promise<void> {
    await this.gate.check(tipperId, creatorId, true);
  }

  /**
   * Writes the tip message, once per tip: the message's id is the tip's, so a redelivered event or a retried job finds
   * it and writes nothing more (besides the receipt committed with it). Decided at delivery: a block made or an account
   * suspended since the checkout means no message (the tip itself stands: it was paid).
   */
  @OnDomainEvent('tip.received', { subscriber: 'messages.tip-message' })
  async onTip(event: DomainEvent<'tip.received'>, context: EventContext): Promise<void> {
    const { tipId, tipperId, creatorId, amountCents, currency, message } = event.payload;
    // Decided before the receipt's transaction: the gate's reads run in parallel, which one transaction's connection
    // cannot. A failed read fails the delivery (retried), never reads as "refused".
    const allowed = await this.gate.decide(tipperId, creatorId, true);
    await context.transaction(async (em) => {
      if (!allowed || (await em.execute('select 1 from messages where id = ?', [tipId])).length) return;
      // A new conversation is `active` for the creator, as for a welcome message: they are being paid.
      const { id: conversationId } = await this.messages.openConversation(em, tipperId, creatorId, 'active', v7());
      const written = em.create(Message, {
        id: tipId,
        conversation: em.getReference(Conversation, conversationId),
        sender: em.getReference(User, tipperId),
        recipient: em.getReference(User, creatorId),
        content: message || null,
        contentHtml: message ? this.views.html(message) : null,
        tipCents: amountCents,
        currency,
        createdAt: new Date(),
      });
      await em.flush();
      await this.messages.delivered(em, { id: tipId, conversationId, senderId: tipperId, recipientId: creatorId, createdAt: written.createdAt });
      this.outbox.record(em, 'message.sent', { messageId: tipId, senderId: tipperId, recipientId: creatorId });
      await em.flush();
    });
  }
}
