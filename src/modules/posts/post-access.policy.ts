import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { EntitlementsService } from '@/modules/billing/entitlements.service';
import { SocialService } from '@/modules/social/social.service';
import { PostRow } from './post-row';

export interface PostAccess {
  /** The viewer may know the post exists (else: 404, absent from lists). */
  visible: boolean;
  /** Premium content the viewer has not paid for: no content, media without URLs, the teaser instead. */
  locked: boolean;
}

type AccessInput = Pick<PostRow, 'id' | 'user_id' | 'visibility' | 'is_premium' | 'price_cents' | 'author_suspended_at'>;

/**
 * The one visibility and entitlement rule, used by every read path (posts, threads, timelines, tags, likes,
 * notifications, media URLs). Batched: a page of any length costs the same few queries.
 *
 * - the author sees everything; suspended authors vanish; a block hides each side's posts from the other;
 * - `public` is for everyone, `followers` for followers, `subscribers` for subscribers with access;
 * - `is_premium` locks the content: without a price for subscribers with access, with a price for buyers only.
 */
@Injectable()
export class PostAccessPolicy {
  constructor(
    private readonly social: SocialService,
    private readonly entitlements: EntitlementsService,
  ) {}

  async evaluate(viewer: AuthUser | undefined, posts: AccessInput[]): Promise<Map<string, PostAccess>> {
    const result = new Map<string, PostAccess>();
    if (!posts.length) return result;
    const others = posts.filter((p) => p.user_id !== viewer?.id);
    const authors = [...new Set(others.map((p) => p.user_id))];
    const needsSubscription = [...new Set(others.filter((p) => p.visibility === 'subscribers' || (p.is_premium && p.price_cents == null)).map((p) => p.user_id))];
    const payPerView = others.filter((p) => p.is_premium && p.price_cents != null).map((p) => p.id);

    const [graph, subscribed, unlocked] = viewer
      ? await Promise.all([
          this.social.graphView(viewer.id, authors),
          this.entitlements.subscribedCreators(viewer.id, needsSubscription),
          this.entitlements.unlockedPosts(viewer.id, payPerView),
        ])
      : [undefined, new Set<string>(), new Set<string>()];

    for (const post of posts) {
      if (viewer && post.user_id === viewer.id) {
        result.set(post.id, { visible: true, locked: false });
        continue;
      }
      const visible =
        !post.author_suspended_at &&
        !graph?.blocked.has(post.user_id) &&
        (post.visibility === 'public' ||
          (post.visibility === 'followers' && !!graph?.following.has(post.user_id)) ||
          (post.visibility === 'subscribers' && subscribed.has(post.user_id)));
      const paid = post.price_cents != null ? unlocked.has(post.id) : subscribed.has(post.user_id);
      result.set(post.id, { visible, locked: visible && post.is_premium && !paid });
    }
    return result;
  }

  async canView(viewer: AuthUser | undefined, post: AccessInput): Promise<PostAccess> {
    return (await this.evaluate(viewer, [post])).get(post.id)!;
  }
}
