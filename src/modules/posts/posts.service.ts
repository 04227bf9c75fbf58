import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { OutboxService } from '@/common/outbox/outbox.service';
import { MediaService } from '@/modules/media/media.service';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { PostModerationSummary, toPostModerationSummary } from './dto/post-moderation.dto';
import { CreatePostDto, PostResponse, ThreadResponse } from './dto/post.dto';
import { Post } from './entities/post.entity';
import { extractEntities, renderContent } from './post-content';
import { PostRow } from './post-row';
import { PostViewsService } from './post-views.service';
import { PostsErrors } from './posts.errors';
import { HashtagsRepository } from './repositories/hashtags.repository';
import { PostsRepository } from './repositories/posts.repository';

@Injectable()
export class PostsService {
  constructor(
    private readonly em: EntityManager,
    private readonly posts: PostsRepository,
    private readonly hashtags: HashtagsRepository,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
    private readonly media: MediaService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  /** A post the viewer may see, or 404 (also when it exists but is hidden from them). */
  async getVisibleRow(viewer: AuthUser | undefined, id: string): Promise<{ row: PostRow; view: PostResponse }> {
    const row = await this.posts.findRow(id);
    const view = row && (await this.views.renderOne(viewer, row));
    if (!row || !view) throw PostsErrors.notFound();
    return { row, view };
  }

  /** Live post rows by id, for other features to render through PostViewsService. */
  rowsByIds(ids: string[]): Promise<PostRow[]> {
    return this.posts.findRows(ids);
  }

  async get(viewer: AuthUser | undefined, id: string): Promise<PostResponse> {
    return (await this.getVisibleRow(viewer, id)).view;
  }

  private async render(text: string): Promise<{ html: string; mentionedIds: string[]; hashtags: string[] }> {
    const entities = extractEntities(text);
    const mentioned = await this.users.findActiveByUsernames(entities.mentions);
    const html = renderContent(text, { publicUrl: this.config.http.publicUrl, users: new Map(mentioned.map((u) => [u.username.toLowerCase(), u.username])) });
    return { html, mentionedIds: mentioned.map((u) => u.id), hashtags: entities.hashtags };
  }

  async create(actor: AuthUser, dto: CreatePostDto): Promise<PostResponse> {
    const content = dto.content ?? '';
    if (!content.trim() && !dto.media_ids?.length) throw PostsErrors.emptyPost();
    const parent = dto.reply_to_id ? (await this.getVisibleRow(actor, dto.reply_to_id)).row : undefined;
    if (parent?.repost_of_id) throw PostsErrors.notFound();
    const rendered = await this.render(content);
    const isPremium = dto.is_premium === true || dto.price_cents !== undefined;

    const postId = await this.em.fork().transactional(async (em: EntityManager) => {
      const post = em.create(Post, {
        author: em.getReference(User, actor.id),
        content,
        contentHtml: rendered.html,
        replyTo: parent ? em.getReference(Post, parent.id) : null,
        rootPost: parent ? em.getReference(Post, parent.root_post_id ?? parent.id) : null,
        visibility: dto.visibility ?? 'public',
        isPremium,
        priceCents: dto.price_cents ?? null,
        preview: dto.preview ?? null,
        metadata: { mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
      });
      await this.media.attachToPost(em, actor.id, post.id, dto.media_ids ?? []);
      await em.flush();
      await this.hashtags.tagPost(em, post.id, post.createdAt, rendered.hashtags);
      await this.posts.bumpCounters(em, actor.id, parent?.id, 1);
      this.recordCreated(em, post, actor.id, parent, rendered.mentionedIds);
      return post.id;
    });
    return this.get(actor, postId);
  }

  private recordCreated(em: EntityManager, post: Post, authorId: string, parent: PostRow | undefined, mentionedIds: string[]): void {
    this.outbox.record(em, 'post.created', { postId: post.id, authorId });
    if (parent && parent.user_id !== authorId) {
      this.outbox.record(em, 'post.replied', { postId: parent.id, replyId: post.id, userId: authorId, authorId: parent.user_id });
    }
    const mentioned = mentionedIds.filter((id) => id !== authorId);
    if (mentioned.length) this.outbox.record(em, 'post.mentioned', { postId: post.id, userId: authorId, mentionedUserIds: mentioned });
    if (post.isPremium) this.outbox.record(em, 'premium_post.published', { postId: post.id, authorId });
  }

  async update(actor: AuthUser, id: string, content: string): Promise<PostResponse> {
    const post = await this.posts.findOne({ id, deletedAt: null });
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id) throw (await this.isVisible(actor, id)) ? PostsErrors.notAuthor() : PostsErrors.notFound();
    if (post.repostOf) throw PostsErrors.repostNotEditable();
    const rendered = await this.render(content);
    await this.em.fork().transactional(async (em: EntityManager) => {
      await em.nativeUpdate(Post, { id }, {
        content,
        contentHtml: rendered.html,
        editedAt: new Date(),
        metadata: { ...(post.metadata ?? {}), mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
      });
      await this.hashtags.tagPost(em, post.id, post.createdAt, rendered.hashtags);
    });
    return this.get(actor, id);
  }

  private async isVisible(viewer: AuthUser, id: string): Promise<boolean> {
    const row = await this.posts.findRow(id);
    return !!row && !!(await this.views.renderOne(viewer, row));
  }

  /** Soft delete: replies stay and keep their `reply_to_id`; the post answers 404 from now on. */
  async remove(actor: AuthUser, id: string): Promise<void> {
    const post = await this.posts.findOne({ id, deletedAt: null });
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id && actor.role !== 'admin') {
      throw (await this.isVisible(actor, id)) ? PostsErrors.notAuthor() : PostsErrors.notFound();
    }
    await this.em.fork().transactional(async (em: EntityManager) => {
      const deleted = await em.nativeUpdate(Post, { id, deletedAt: null }, { deletedAt: new Date() });
      if (!deleted) return; // a concurrent delete won
      await this.posts.bumpCounters(em, post.author.id, post.replyTo?.id, -1);
      if (post.repostOf) await em.execute('update posts set retweets_count = greatest(retweets_count - 1, 0) where id = ?', [post.repostOf.id]);
    });
  }

  /**
   * A moderator's removal (a report's `remove_post`), in the caller's transaction: the row stays for the audit and the
   * access policy hides it from everyone. False when it was already removed.
   */
  async removeByModerator(em: EntityManager, id: string): Promise<boolean> {
    return (await em.nativeUpdate(Post, { id, removedAt: null }, { removedAt: new Date() })) > 0;
  }

  /** What a moderator sees of reported posts, whatever their visibility, deleted or removed ones included. */
  async moderationSummaries(ids: string[]): Promise<Map<string, PostModerationSummary>> {
    const posts = ids.length ? await this.posts.find({ id: { $in: ids } }) : [];
    return new Map(posts.map((p) => [p.id, toPostModerationSummary(p)]));
  }

  async replies(viewer: AuthUser | undefined, id: string, query: PageQuery): Promise<Page<PostResponse>> {
    await this.getVisibleRow(viewer, id);
    const rows = await this.posts.repliesPage(id, decodeCursor(query.cursor), query.limit + 1);
    return this.page(viewer, rows, query.limit);
  }

  /** Renders a fetched page (`limit + 1` rows); the cursor follows the last fetched row, so hiding never skips. */
  async page(viewer: AuthUser | undefined, rows: PostRow[], limit: number): Promise<Page<PostResponse>> {
    const page = toPage(rows, limit, (r) => ({ at: new Date(r.created_at), id: r.id }), (r) => r);
    return { data: await this.views.render(viewer, page.data), next_cursor: page.next_cursor };
  }

  async thread(viewer: AuthUser | undefined, id: string): Promise<ThreadResponse> {
    const { view } = await this.getVisibleRow(viewer, id);
    const [ancestors, descendants] = await Promise.all([this.posts.ancestors(id), this.posts.descendants(id)]);
    const rendered = await this.views.render(viewer, [...ancestors, ...descendants]);
    const ancestorIds = new Set(ancestors.map((a) => a.id));
    return {
      ancestors: rendered.filter((p) => ancestorIds.has(p.id)),
      post: view,
      descendants: rendered.filter((p) => !ancestorIds.has(p.id)),
    };
  }
}
