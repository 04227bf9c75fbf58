import { Inject, Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { POSTS_FOR_SALE, PostsForSale, TIP_TARGETS, TipTargets } from './billing.ports';
import { CheckoutService } from './checkout.service';
import { CheckoutResponse } from './dto/billing.dto';
import { TipDto } from './dto/tip.dto';
import { TipFor, tipForValue } from './tip-for';

/**
 * Starting a tip (docs/inbox.md#tips): a Checkout session in payment mode, routed as unlocks are (Connect's fee and
 * destination; `422` field `payouts` when the creator must connect and has not). A post's tip pays its author, once
 * the tipper may see the post (the one access policy: a post they may not see is `404`; a locked one may be tipped); a
 * conversation's pays its other participant (anyone else's conversation `404`). Tips arrive as messages, so the inbox
 * decides who may be tipped: a block either way or a suspended or deleted account is `403`, as for a message.
 */
@Injectable()
export class TipsService {
  constructor(
    @Inject(POSTS_FOR_SALE) private readonly posts: PostsForSale,
    @Inject(TIP_TARGETS) private readonly targets: TipTargets,
    private readonly users: UsersService,
    private readonly checkout: CheckoutService,
  ) {}

  async onPost(actor: AuthUser, postId: string, dto: TipDto, idempotencyKey?: string): Promise<CheckoutResponse> {
    const post = await this.posts.getVisible(actor, postId);
    if (post.authorId === actor.id) throw BillingErrors.ownTip();
    await this.targets.assertMayTip(actor.id, post.authorId);
    const target: TipFor = { kind: 'post', id: post.id };
    return this.checkout.tip(
      await this.users.getActive(actor.id),
      { creatorId: post.authorId, creatorUsername: post.authorUsername, currency: post.currency, amountCents: dto.amount_cents, tipFor: tipForValue(target), message: dto.message },
      idempotencyKey,
    );
  }

  async inConversation(actor: AuthUser, conversationId: string, dto: TipDto, idempotencyKey?: string): Promise<CheckoutResponse> {
    const recipient = await this.targets.conversationRecipient(actor, conversationId);
    if (recipient.id === actor.id) throw BillingErrors.ownTip();
    const target: TipFor = { kind: 'conversation', id: conversationId };
    return this.checkout.tip(
      await this.users.getActive(actor.id),
      { creatorId: recipient.id, creatorUsername: recipient.username, currency: recipient.currency, amountCents: dto.amount_cents, tipFor: tipForValue(target), message: dto.message },
      idempotencyKey,
    );
  }
}
