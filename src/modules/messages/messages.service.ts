import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Keyset, Page, PageQuery, toPage } from '@/common/http/pagination';
import { OutboxService } from '@/common/outbox/outbox.service';
import { MediaService } from '@/modules/media/media.service';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { User } from '@/modules/users/entities/user.entity';
import { ConversationsService } from './conversations.service';
import { MessageResponse, SendMessageDto } from './dto/messages.dto';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { MessageViewsService } from './message-views.service';
import { MessagesErrors } from './messages.errors';
import { MessagesRepository } from './messages.repository';

/** Sending, reading and unsending messages; the live delivery is the outbox's `message.sent`. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly conversations: ConversationsService,
    private readonly views: MessageViewsService,
    private readonly media: MediaService,
    private readonly outbox: OutboxService,
    private readonly payouts: PayoutAccountsService,
  ) {}

  async page(actor: AuthUser, conversationId: string, query: PageQuery): Promise<Page<MessageResponse>> {
    // Not theirs answers 404 before a bad cursor's 400, as it always did.
    let cursor: Keyset | undefined;
    try {
      cursor = decodeCursor(query.cursor);
    } catch (error) {
      await this.conversations.requireMember(actor, conversationId);
      throw error;
    }
    // The page asks the membership itself; no rows: an empty conversation of theirs, or 404.
    const rows = await this.messages.messagePage(conversationId, actor.id, cursor, query.limit);
    if (!rows.length) await this.conversations.requireMember(actor, conversationId);
    const page = toPage(rows, query.limit, (r) => ({ at: r.created_at, id: r.id }), (r) => r);
    return { data: await this.views.render(actor, page.data), next_cursor: page.next_cursor };
  }

  async send(actor: AuthUser, conversationId: string, dto: SendMessageDto): Promise<MessageResponse> {
    const recipientId = await this.conversations.requireWritable(actor, conversationId);
    const content = dto.content ?? '';
    if (!content.trim() && !dto.media_ids?.length) throw MessagesErrors.empty();
    // A price is money someone will pay: as for posts, with CONNECT_REQUIRED=true only to a creator Stripe can pay out to.
    if (dto.price_cents !== undefined) await this.payouts.assertCanSell(actor.id);
    const html = content ? this.views.html(content) : null;

    const id = await this.messages
      .getEntityManager()
      .fork()
      .transactional(async (em) => {
        const message = em.create(Message, {
          conversation: em.getReference(Conversation, conversationId),
          sender: em.getReference(User, actor.id),
          recipient: em.getReference(User, recipientId),
          content: content || null,
          contentHtml: html,
          priceCents: dto.price_cents ?? null,
          preview: dto.preview ?? null,
          createdAt: new Date(),
        });
        await this.media.attachToMessage(em, actor.id, message.id, dto.media_ids ?? []);
        await em.flush();
        await this.messages.delivered(em, { id: message.id, conversationId, senderId: actor.id, recipientId, createdAt: message.createdAt });
        this.outbox.record(em, 'message.sent', { messageId: message.id, senderId: actor.id, recipientId });
        await em.flush();
        return message.id;
      });
    const [answer] = await this.views.byIds(actor, [id]);
    return answer;
  }

  /** The sender of message `id`, for one of its two participants (a report); 404 for anyone else, as for a missing one. */
  async senderFor(actor: AuthUser, id: string): Promise<string> {
    const [row] = await this.messages.messagesByIds([id]);
    if (!row || (row.sender_id !== actor.id && row.recipient_id !== actor.id)) throw MessagesErrors.messageNotFound();
    return row.sender_id;
  }

  /** The sender unsends their message: its content and media leave every path (a buyer keeps what they bought). */
  async unsend(actor: AuthUser, id: string): Promise<void> {
    if (!(await this.messages.unsend(id, actor.id))) throw MessagesErrors.messageNotFound();
  }
}
