import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { MessageForSale, MessagesForSale } from '@/modules/billing/billing.ports';
import { MessagesErrors } from './messages.errors';
import { MessagesRepository } from './messages.repository';

/** Billing's `MESSAGES_FOR_SALE` port: paid messages as their purchase sees them. */
@Injectable()
export class MessagesForSaleAdapter implements MessagesForSale {
  constructor(private readonly messages: MessagesRepository) {}

  /** Unsent counts as gone: its recipient no longer sees it, so there is nothing left to buy (`404`). */
  async getForParticipant(buyer: AuthUser, messageId: string): Promise<MessageForSale> {
    const [row] = await this.messages.messagesByIds([messageId]);
    if (!row || row.deleted_at || (row.sender_id !== buyer.id && row.recipient_id !== buyer.id)) throw MessagesErrors.messageNotFound();
    return {
      id: row.id,
      senderId: row.sender_id,
      senderUsername: row.sender_username,
      recipientId: row.recipient_id,
      priceCents: row.price_cents,
      currency: await this.messages.currencyOf(row.sender_id),
    };
  }

  async senderId(em: EntityManager, messageId: string): Promise<string | null> {
    const [row] = await em.execute<{ sender_id: string }[]>('select sender_id from messages where id = ?', [messageId]);
    return row?.sender_id ?? null;
  }
}
