import { Inject, Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { MESSAGES_FOR_SALE, MessagesForSale, POSTS_FOR_SALE, PostsForSale } from './billing.ports';
import { CheckoutService } from './checkout.service';
import { CheckoutResponse } from './dto/billing.dto';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';

/** Buying a pay-per-view post or a paid direct message. */
@Injectable()
export class UnlocksService {
  constructor(
    @Inject(POSTS_FOR_SALE) private readonly posts: PostsForSale,
    @Inject(MESSAGES_FOR_SALE) private readonly messages: MessagesForSale,
    private readonly users: UsersService,
    private readonly entitlements: EntitlementsService,
    private readonly checkout: CheckoutService,
  ) {}

  /** A checkout for a post the buyer can see (else 404), is not theirs, has a price and was not bought yet. */
  async start(actor: AuthUser, postId: string, idempotencyKey?: string): Promise<CheckoutResponse> {
    const post = await this.posts.getVisible(actor, postId);
    if (post.authorId === actor.id) throw BillingErrors.ownPost();
    if (post.priceCents == null) throw BillingErrors.notForSale();
    if ((await this.entitlements.unlockedPosts(actor.id, [post.id])).has(post.id)) throw BillingErrors.alreadyUnlocked();
    return this.checkout.unlock(await this.users.getActive(actor.id), post, idempotencyKey);
  }

  /**
   * A checkout for a paid message, by its recipient only: a message the buyer does not take part in, or an unsent one,
   * is `404`; the sender's own `422`; one without a price `422`; one already bought `409`.
   */
  async startMessage(actor: AuthUser, messageId: string, idempotencyKey?: string): Promise<CheckoutResponse> {
    const message = await this.messages.getForParticipant(actor, messageId);
    if (message.senderId === actor.id) throw BillingErrors.ownMessage();
    if (message.priceCents == null) throw BillingErrors.messageNotForSale();
    if ((await this.entitlements.unlockedMessages(actor.id, [message.id])).has(message.id)) throw BillingErrors.messageAlreadyUnlocked();
    return this.checkout.unlockMessage(await this.users.getActive(actor.id), message, idempotencyKey);
  }
}
