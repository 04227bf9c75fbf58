import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntitlementsModule } from '@/modules/entitlements/entitlements.module';
import { ListsModule } from '@/modules/lists/lists.module';
import { MediaModule } from '@/modules/media/media.module';
import { PayoutAccountsModule } from '@/modules/payouts/payout-accounts.module';
import { PostsModule } from '@/modules/posts/posts.module';
import { SocialModule } from '@/modules/social/social.module';
import { UsersModule } from '@/modules/users/users.module';
import { ConversationsService } from './conversations.service';
import { DmGateService } from './dm-gate.service';
import { ConversationMember } from './entities/conversation-member.entity';
import { Conversation } from './entities/conversation.entity';
import { MassMessage } from './entities/mass-message.entity';
import { Message } from './entities/message.entity';
import { MassAudienceService } from './mass-audience.service';
import { MassMessageFanOutSubscriber } from './mass-message-fan-out.subscriber';
import { MassMessageReadsService } from './mass-message-reads.service';
import { MassMessageScheduler } from './mass-message.scheduler';
import { MassMessagesController } from './mass-messages.controller';
import { MassMessagesService } from './mass-messages.service';
import { MessageViewsService } from './message-views.service';
import { ConversationsController, MessagesController, WelcomeMessageController } from './messages.controller';
import { MessagesService } from './messages.service';
import { MessagesAccountDataService } from './messages-account-data.service';
import { MessagesForSaleAdapter } from './messages-for-sale.adapter';
import { MESSAGES_FOR_SALE, TIP_TARGETS } from '@/modules/billing/billing.ports';
import { TipMessagesService } from './tip-messages.service';
import { WelcomeMessagesService } from './welcome-messages.service';

/**
 * Direct messages (docs/inbox.md): one-to-one conversations, requests, read state, paid messages locked by the posts'
 * access policy, unsend, the welcome message. Exports the renderer, for the live stream (notifications) that delivers `message` events.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([Message, Conversation, ConversationMember, MassMessage]),
    PostsModule,
    MediaModule,
    SocialModule,
    EntitlementsModule,
    UsersModule,
    PayoutAccountsModule,
    ListsModule,
  ],
  controllers: [ConversationsController, MassMessagesController, MessagesController, WelcomeMessageController],
  providers: [
    ConversationsService, MessagesService, MessageViewsService, DmGateService, MessagesAccountDataService, WelcomeMessagesService,
    // Mass messages (docs/inbox.md#mass-messages); the scheduler sweeps only where workers run.
    MassMessagesService, MassMessageReadsService, MassAudienceService, MassMessageFanOutSubscriber, MassMessageScheduler,
    // Billing's port, bound by the app root (BillingModule.forRoot).
    { provide: MESSAGES_FOR_SALE, useClass: MessagesForSaleAdapter },
    // Tips (docs/inbox.md#tips): billing's TIP_TARGETS port, and the tip message on `tip.received`.
    // One instance under the port's token (an alias would be discovered twice as the `tip.received` subscriber).
    { provide: TIP_TARGETS, useClass: TipMessagesService },
  ],
  exports: [MessageViewsService, MessagesService, MassMessagesService, MESSAGES_FOR_SALE, TIP_TARGETS],
})
export class MessagesModule {}
