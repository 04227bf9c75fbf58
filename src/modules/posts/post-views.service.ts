import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { Page, toPage } from '@/common/http/pagination';
import { PostMediaResponse } from '@/modules/media/dto/media.response';
import { MediaService } from '@/modules/media/media.service';
import { PostResponse } from './dto/post.dto';
import { Answers, Questions } from '@/common/database/together';
import { JudgedPosts, judgedOf, PostAccess, PostAccessPolicy, VisiblePost } from './post-access.policy';
import { previewHasTag, PostRow } from './post-row';
import { PostsErrors } from './posts.errors';
import { PostsRepository } from './repositories/posts.repository';

interface ViewerState {
  access: Map<string, PostAccess>;
  liked: Set<string>;
  reposted: Set<string>;
  media: Map<string, PostMediaResponse[]>;
  originals: Map<string, PostRow>;
}

/**
 * Turns post rows into what a viewer may see, in a fixed number of queries whatever the page length: reposted
 * originals (when there are reposts), then one round trip for the access rule's relations (the policy's `judge`) and
 * the viewer's likes, reposts and the media of the whole page. Posts the viewer may not see are dropped, and so are reposts of them. Deciding a 404 is not rendering:
 * that is `PostAccessPolicy.requireVisible`, whose judgement `one` and `answer` render without asking again.
 */
@Injectable()
export class PostViewsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly media: MediaService,
  ) {}

  /**
   * The policy's judgement and this renderer's own questions (likes, reposts, media of every row) in one round trip,
   * plus one to read reposted originals when the page has reposts.
   */
  async render(viewer: AuthUser | undefined, rows: PostRow[]): Promise<PostResponse[]> {
    const judged = await this.policy.judge(viewer, rows, (all) => this.stateSql(viewer, all.map((r) => r.id)));
    return this.present(viewer, judged, judged.answers);
  }

  /** Live posts by id (in no particular order), rendered for the viewer; those they may not see left out. */
  async renderByIds(viewer: AuthUser | undefined, ids: string[]): Promise<PostResponse[]> {
    return this.render(viewer, await this.posts.findRows(ids));
  }

  /** Renders a fetched page (`limit + 1` rows); the cursor follows the last fetched row, so hiding never skips. */
  async page(viewer: AuthUser | undefined, rows: PostRow[], limit: number): Promise<Page<PostResponse>> {
    const page = toPage(rows, limit, (r) => ({ at: new Date(r.created_at), id: r.id }), (r) => r);
    return { data: await this.render(viewer, page.data), next_cursor: page.next_cursor };
  }

  /**
   * `page` for rows found by their hashtags (`tags`, lower-case, no `#`): a post locked for the viewer stays only when
   * its teaser (`preview`) carries every one of them, since its hidden content's hashtags would answer guesses about
   * what it says. The tag page and `#tag` searches both list through here.
   */
  async taggedPage(viewer: AuthUser | undefined, rows: PostRow[], limit: number, tags: string[]): Promise<Page<PostResponse>> {
    if (!tags.length) return this.page(viewer, rows, limit);
    const page = toPage(rows, limit, (r) => ({ at: new Date(r.created_at), id: r.id }), (r) => r);
    const judged = await this.policy.judge(viewer, page.data, this.questionsFor(viewer));
    const listed = judged.rows.filter((r) => !judged.access.get(r.id)?.locked || tags.every((tag) => previewHasTag(r, tag)));
    return { data: await this.present(viewer, { ...judged, rows: listed }, judged.answers), next_cursor: page.next_cursor };
  }

  /** A post `requireVisible` let through, rendered from the rows it read (and `answers` to `questionsFor`, if asked). */
  async one(viewer: AuthUser | undefined, post: VisiblePost, answers?: Answers): Promise<PostResponse> {
    const [view] = await this.present(viewer, judgedOf([post]), answers);
    return view;
  }

  /** What `present` needs to know about these rows, for a caller to ask along with the access check (`requireVisibleWith`). */
  questionsFor(viewer: AuthUser | undefined): (rows: PostRow[]) => Questions {
    return (rows) => this.stateSql(viewer, rows.map((r) => r.id));
  }

  /**
   * The answer after a write to a post `requireVisible` let through: its row re-read (the write moved its counters)
   * and rendered with the access already judged. 404 if it was deleted meanwhile.
   */
  async answer(viewer: AuthUser | undefined, post: VisiblePost): Promise<PostResponse> {
    const fresh = new Map((await this.posts.findRows([post.row.id, ...(post.original ? [post.original.row.id] : [])])).map((r) => [r.id, r]));
    const row = fresh.get(post.row.id);
    const original = post.original && fresh.get(post.original.row.id);
    if (!row || (post.original && !original)) throw PostsErrors.notFound();
    return this.one(viewer, { row, access: post.access, original: original ? { row: original, access: post.original!.access } : null });
  }

  /** The viewer's likes and reposts among `postIds` and their media, as questions for one round trip. */
  private stateSql(viewer: AuthUser | undefined, postIds: string[]): Questions {
    const some = postIds.length > 0;
    return {
      sets: {
        liked: viewer && some ? PostsRepository.likedAmongSql(viewer.id, postIds) : undefined,
        reposted: viewer && some ? PostsRepository.repostedAmongSql(viewer.id, postIds) : undefined,
      },
      values: { media: this.media.forPostsSql(postIds) },
    };
  }

  /**
   * Renders posts already judged: no access look-up, only the viewer's likes, reposts and the media, asked in one
   * round trip unless `answers` (from `render`) has them already.
   */
  async present(viewer: AuthUser | undefined, judged: JudgedPosts, answers?: Answers): Promise<PostResponse[]> {
    const { rows, originals, access } = judged;
    const all = [...rows, ...originals.values()];
    const visibleIds = all.filter((r) => access.get(r.id)?.visible).map((r) => r.id);
    const locked = new Set(visibleIds.filter((id) => access.get(id)?.locked));
    // Media of posts not open to anyone (the policy's `isOpen`: premium or not public) only through signed, expiring URLs.
    const restricted = new Set(all.filter((r) => !this.policy.isOpen(r)).map((r) => r.id));
    const state = answers ?? (await this.posts.together(this.stateSql(viewer, visibleIds)));
    const visible = new Set(visibleIds);
    // `render` asked about every row: only the visible ones' media are shown (the views of hidden rows are dropped).
    const media = this.media.presentForPostsJson(state.values.media, locked, restricted);
    for (const id of media.keys()) if (!visible.has(id)) media.delete(id);
    const viewerState: ViewerState = { access, liked: state.sets.liked ?? new Set(), reposted: state.sets.reposted ?? new Set(), media, originals };
    return rows.map((row) => this.view(row, viewerState)).filter((v): v is PostResponse => v !== undefined);
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
      min_tier_id: row.min_tier_id,
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
