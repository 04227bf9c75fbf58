import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { MediaResponse } from '@/modules/media/dto/media.response';
import { MediaService } from '@/modules/media/media.service';
import { PostResponse } from './dto/post.dto';
import { PostAccess, PostAccessPolicy } from './post-access.policy';
import { PostRow } from './post-row';
import { PostsRepository } from './repositories/posts.repository';

interface ViewerState {
  access: Map<string, PostAccess>;
  liked: Set<string>;
  reposted: Set<string>;
  media: Map<string, MediaResponse[]>;
  originals: Map<string, PostRow>;
}

/**
 * Turns post rows into what a viewer may see, in a fixed number of queries whatever the page length:
 * reposted originals, access (policy), liked, reposted and media are each fetched once for the whole page.
 * Posts the viewer may not see are dropped, and so are reposts of them.
 */
@Injectable()
export class PostViewsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly media: MediaService,
  ) {}

  async render(viewer: AuthUser | undefined, rows: PostRow[]): Promise<PostResponse[]> {
    const originalIds = [...new Set(rows.map((r) => r.repost_of_id).filter((id): id is string => !!id))];
    const originals = new Map((await this.posts.findRows(originalIds)).map((r) => [r.id, r]));
    const all = [...rows, ...originals.values()];
    const access = await this.policy.evaluate(viewer, all);
    const visibleIds = all.filter((r) => access.get(r.id)?.visible).map((r) => r.id);
    const locked = new Set(visibleIds.filter((id) => access.get(id)?.locked));
    // Media of premium or non-public posts are served only through signed, expiring URLs.
    const restricted = new Set(all.filter((r) => r.is_premium || r.visibility !== 'public').map((r) => r.id));
    const [liked, reposted, media] = await Promise.all([
      viewer ? this.posts.likedAmong(viewer.id, visibleIds) : new Set<string>(),
      viewer ? this.posts.repostedAmong(viewer.id, visibleIds) : new Set<string>(),
      this.media.forPosts(visibleIds, locked, restricted),
    ]);
    const state: ViewerState = { access, liked, reposted, media, originals };
    return rows.map((row) => this.view(row, state)).filter((v): v is PostResponse => v !== undefined);
  }

  async renderOne(viewer: AuthUser | undefined, row: PostRow): Promise<PostResponse | undefined> {
    return (await this.render(viewer, [row]))[0];
  }

  private view(row: PostRow, state: ViewerState): PostResponse | undefined {
    const access = state.access.get(row.id);
    if (!access?.visible) return undefined;
    let repostOf: PostResponse | null = null;
    if (row.repost_of_id) {
      const original = state.originals.get(row.repost_of_id);
      const originalView = original && this.view(original, state);
      if (!originalView) return undefined;
      repostOf = originalView;
    }
    // A repost wrapper answers for its original: liking or reposting it acts on the original.
    const subject = row.repost_of_id ?? row.id;
    return {
      id: row.id,
      author: {
        id: row.user_id,
        username: row.author_username,
        display_name: row.author_display_name,
        avatar_url: row.author_avatar_url,
        verified: row.author_verified,
      },
      content: access.locked ? null : row.content,
      content_html: access.locked ? null : row.content_html,
      reply_to_id: row.reply_to_id,
      root_post_id: row.root_post_id,
      repost_of: repostOf,
      media: state.media.get(row.id) ?? [],
      likes_count: row.likes_count,
      replies_count: row.replies_count,
      reposts_count: row.reposts_count,
      visibility: row.visibility,
      is_premium: row.is_premium,
      price_cents: row.price_cents,
      currency: row.currency,
      locked: access.locked,
      preview: row.preview,
      liked: state.liked.has(subject),
      reposted: state.reposted.has(subject),
      created_at: new Date(row.created_at).toISOString(),
      edited_at: row.edited_at ? new Date(row.edited_at).toISOString() : null,
    };
  }
}
