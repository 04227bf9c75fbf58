import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { UsersService } from '@/modules/users/users.service';
import { BillingErrors } from './billing.errors';
import { CheckoutService } from './checkout.service';
import { CheckoutResponse } from './dto/billing.dto';
import { EntitlementsService } from './entitlements/entitlements.service';

/** Buying a pay-per-view post. */
@Injectable()
export class UnlocksService {
  constructor(
    private readonly policy: PostAccessPolicy,
    private readonly users: UsersService,
    private readonly entitlements: EntitlementsService,
    private readonly checkout: CheckoutService,
  ) {}

  /** A checkout for a post the buyer can see (else 404), is not theirs, has a price and was not bought yet. */
  async start(actor: AuthUser, postId: string, idempotencyKey?: string): Promise<CheckoutResponse> {
    const [{ row }] = await this.policy.requireVisible(actor, [postId]);
    if (row.user_id === actor.id) throw BillingErrors.ownPost();
    if (row.price_cents == null) throw BillingErrors.notForSale();
    if ((await this.entitlements.unlockedPosts(actor.id, [row.id])).has(row.id)) throw BillingErrors.alreadyUnlocked();
    return this.checkout.unlock(await this.users.getActive(actor.id), row, idempotencyKey);
  }
}
