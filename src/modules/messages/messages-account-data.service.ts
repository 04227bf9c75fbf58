import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';
import { AuthUser } from '@/common/auth/auth-user';
import { MessageResponse } from './dto/messages.dto';
import { MessageViewsService } from './message-views.service';
import { MessagesRepository } from './messages.repository';

const BATCH = 1000;
const EXPORT_PAGE = 200;

/**
 * A deleted account's messages and its side of each conversation (docs/inbox.md#the-rest-of-the-house): what it sent
 * goes, its sides go, and the other side keeps the conversation with a deleted account (the users tombstone) and its
 * own messages. The export's `messages.json` holds what the user sent and what they may read, each message rendered
 * for them as any read path would: a paid message they did not buy stays locked.
 */
@Injectable()
export class MessagesAccountDataService implements OnModuleInit {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly views: MessageViewsService,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'messages',
      // Before media (30): the media part erases the files of the messages' attachments with the rest of the uploads.
      order: 15,
      eraseBatch: (userId) => this.messages.eraseBatchOf(userId, BATCH),
      export: (userId, sink) => sink.json('messages.json', this.exported(userId)),
    });
  }

  private async *exported(userId: string): AsyncIterable<MessageResponse> {
    const viewer: AuthUser = { id: userId, role: 'user', sessionId: '' };
    let after: string | undefined;
    for (;;) {
      const rows = await this.messages.pageOfUser(userId, after, EXPORT_PAGE);
      if (!rows.length) return;
      yield* await this.views.render(viewer, rows);
      after = rows[rows.length - 1].id;
    }
  }
}
