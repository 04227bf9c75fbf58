import { Injectable } from '@nestjs/common';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { User } from '@/modules/users/entities/user.entity';
import { DmGateService } from './dm-gate.service';
import { PutWelcomeMessageDto, WelcomeMessageResponse } from './dto/messages.dto';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { MessageViewsService } from './message-views.service';
import { MessagesErrors } from './messages.errors';
import { MessagesRepository, WelcomeRow } from './messages.repository';

const present = (row: WelcomeRow): WelcomeMessageResponse => ({
  content: row.content,
  media_ids: [],
  price_cents: row.price_cents,
  preview: row.preview,
  enabled: row.enabled,
  updated_at: row.updated_at.toISOString(),
});

/**
 * The welcome message (docs/inbox.md#welcome-message): a creator sets it; each subscription that becomes active gets
 * it once, as a message from the creator, under the rules of a normal send (no block either way, no suspended or
 * deleted account, the fan's `dm_policy`), with its conversation `active` for the fan.
 */
@Injectable()
export class WelcomeMessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly gate: DmGateService,
    private readonly views: MessageViewsService,
    private readonly outbox: OutboxService,
    private readonly payouts: PayoutAccountsService,
  ) {}

  async get(actor: AuthUser): Promise<WelcomeMessageResponse> {
    const row = await this.messages.welcomeOf(actor.id);
    if (!row) throw AppException.notFound('No welcome message set');
    return present(row);
  }

  async put(actor: AuthUser, dto: PutWelcomeMessageDto): Promise<WelcomeMessageResponse> {
    if (!dto.content.trim()) throw MessagesErrors.empty();
    // A welcome message is sent to many subscribers, one row per copy; a media row belongs to one message, so shared
    // attachments wait for the mass messages' shared media (docs/inbox.md#welcome-message).
    if (dto.media_ids?.length) throw AppException.unprocessable('A welcome message cannot carry media yet', 'media_ids');
    // A price is money someone will pay: as for messages, with CONNECT_REQUIRED=true only a creator Stripe can pay out to.
    if (dto.price_cents !== undefined) await this.payouts.assertCanSell(actor.id);
    const row = await this.messages.putWelcome(actor.id, {
      content: dto.content,
      price_cents: dto.price_cents ?? null,
      preview: dto.preview ?? null,
      enabled: dto.enabled,
    });
    return present(row);
  }

  /**
   * Sends the creator's welcome message to the new subscriber, once per subscription: the claim (a primary key on the
   * subscription id) commits with this handler's receipt and the message, so a replayed Stripe event, a redelivered
   * outbox event or a retried job finds it claimed and sends nothing. The decision is taken once: a fan who could not
   * be written to at activation (a block, their `dm_policy`) gets nothing later.
   */
  @OnDomainEvent('subscription.activated', { subscriber: 'welcome-message' })
  async onActivated(event: DomainEvent<'subscription.activated'>, context: EventContext): Promise<void> {
    const { subscriptionId, subscriberId: fanId, creatorId } = event.payload;
    await context.transaction(async (em) => {
      if (!(await this.messages.claimWelcome(em, subscriptionId, fanId))) return;
      const welcome = await this.messages.welcomeOf(creatorId, em);
      if (!welcome?.enabled) return;
      const side = await this.messages.sideWith(em, fanId, creatorId);
      if (!(await this.gate.decide(creatorId, fanId, side?.status === 'active'))) return;
      // A new conversation is `active` for the fan, as for a mass message: they subscribed to its sender.
      const { id: conversationId } = await this.messages.openConversation(em, creatorId, fanId, 'active', v7());
      const message = em.create(Message, {
        conversation: em.getReference(Conversation, conversationId),
        sender: em.getReference(User, creatorId),
        recipient: em.getReference(User, fanId),
        content: welcome.content,
        contentHtml: this.views.html(welcome.content),
        priceCents: welcome.price_cents,
        preview: welcome.preview,
        createdAt: new Date(),
      });
      await em.flush();
      await this.messages.delivered(em, { id: message.id, conversationId, senderId: creatorId, recipientId: fanId, createdAt: message.createdAt });
      await this.messages.welcomeSent(em, subscriptionId, message.id);
      this.outbox.record(em, 'message.sent', { messageId: message.id, senderId: creatorId, recipientId: fanId });
      await em.flush();
    });
  }
}
