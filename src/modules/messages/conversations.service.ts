import { Injectable } from '@nestjs/common';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, toPage } from '@/common/http/pagination';
import { UsersService } from '@/modules/users/users.service';
import { ConversationResponse, ConversationsQuery, ReadConversationDto } from './dto/messages.dto';
import { DmGateService } from './dm-gate.service';
import { MessageViewsService } from './message-views.service';
import { MessagesErrors } from './messages.errors';
import { MemberRow, MessageRow, MessagesRepository } from './messages.repository';

/** Conversations as their participants see them: start, list, unread count, accept, hide or decline, read. */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly gate: DmGateService,
    private readonly views: MessageViewsService,
    private readonly users: UsersService,
  ) {}

  /** The conversation with `username`, new (`created`) or the existing one. */
  async start(actor: AuthUser, username: string): Promise<{ conversation: ConversationResponse; created: boolean }> {
    const other = await this.users.getActiveByUsername(username);
    if (other.id === actor.id) throw MessagesErrors.self();
    const status = await this.gate.check(actor.id, other.id, false);
    const { id, created } = await this.messages
      .getEntityManager()
      .fork()
      .transactional((em) => this.messages.openConversation(em, actor.id, other.id, status, v7()));
    return { conversation: await this.one(actor, id), created };
  }

  async list(actor: AuthUser, query: ConversationsQuery): Promise<Page<ConversationResponse>> {
    const rows = await this.messages.memberPage(actor.id, query.status, decodeCursor(query.cursor), query.limit);
    const page = toPage(rows, query.limit, (r) => ({ at: r.last_activity_at!, id: r.conversation_id }), (r) => r);
    return { data: await this.render(actor, page.data), next_cursor: page.next_cursor };
  }

  async unreadCount(actor: AuthUser): Promise<{ count: number }> {
    return { count: await this.messages.unreadTotal(actor.id) };
  }

  /** Accepts a request: the conversation becomes active on the caller's side (its unread messages count from now). */
  async accept(actor: AuthUser, id: string): Promise<ConversationResponse> {
    await this.requireMember(actor, id);
    await this.messages.setStatus(id, actor.id, 'active');
    return this.one(actor, id);
  }

  /** Hides a conversation, or declines a request, for the caller only; a new message shows it again. */
  async hide(actor: AuthUser, id: string): Promise<void> {
    await this.requireMember(actor, id);
    await this.messages.hide(id, actor.id);
  }

  async read(actor: AuthUser, id: string, dto: ReadConversationDto): Promise<void> {
    await this.requireMember(actor, id);
    const [upTo] = dto.up_to_id ? await this.messages.messagesByIds([dto.up_to_id]) : [];
    if (dto.up_to_id && upTo?.conversation_id !== id) throw MessagesErrors.messageNotFound();
    await this.messages
      .getEntityManager()
      .fork()
      .transactional((em) => this.messages.read(em, id, actor.id, upTo ? { createdAt: upTo.created_at, id: upTo.id } : null));
  }

  /**
   * The other participant's id, once the caller may write into this conversation now (404 if it is not theirs, 403 by
   * the gate: blocks, suspension, and the recipient's `dm_policy` while their side is not active).
   */
  async requireWritable(actor: AuthUser, id: string): Promise<string> {
    const member = await this.requireMember(actor, id);
    const recipientSide = await this.messages.member(id, member.other_user_id);
    await this.gate.check(actor.id, member.other_user_id, recipientSide?.status === 'active');
    return member.other_user_id;
  }

  /** The caller's side, or 404 for anyone but the two participants (a conversation not theirs answers like a missing one). */
  async requireMember(actor: AuthUser, id: string): Promise<MemberRow> {
    const member = await this.messages.member(id, actor.id);
    if (!member) throw MessagesErrors.conversationNotFound();
    return member;
  }

  private async one(actor: AuthUser, id: string): Promise<ConversationResponse> {
    const [conversation] = await this.render(actor, [await this.requireMember(actor, id)]);
    return conversation;
  }

  /** Each row with its latest message as the caller may see it (locked stays locked), rendered in one batch. */
  private async render(actor: AuthUser, rows: MemberRow[]): Promise<ConversationResponse[]> {
    // A page (`memberPage`) comes with its latest messages' rows; a single side looks its one up.
    const last = rows.every((r) => r.last_message !== undefined)
      ? await this.views.render(actor, rows.map((r) => r.last_message).filter((m): m is MessageRow => !!m))
      : await this.views.byIds(actor, rows.map((r) => r.last_message_id).filter((m): m is string => !!m));
    const byId = new Map(last.map((m) => [m.id, m]));
    return rows.map((r) => ({
      id: r.conversation_id,
      with: { id: r.other_user_id, username: r.other_username, display_name: r.other_display_name, avatar_url: r.other_avatar_url, verified: r.other_verified },
      status: r.status,
      unread_count: r.status === 'request' ? 0 : r.unread_count,
      last_message: r.last_message_id ? (byId.get(r.last_message_id) ?? null) : null,
      created_at: r.created_at.toISOString(),
      updated_at: (r.last_activity_at ?? r.created_at).toISOString(),
    }));
  }
}
