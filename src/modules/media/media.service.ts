import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { SqlFragment } from '@/common/database/sql-fragment';
import { AppException } from '@/common/errors/app.exception';
import { UpdateMediaDto } from './dto/media.dto';
import { MediaResponse, PostMediaResponse, toLockedMediaResponse, toMediaResponse } from './dto/media.response';
import { Media } from './entities/media.entity';
import { MediaUrlSigner } from './media-url.signer';
import { MediaErrors } from './media.errors';
import { OpenPostsRule } from './media.ports';
import { MediaRepository, PostMediaRow } from './media.repository';

const READY = ['ready', 'active'] as const;
export const MAX_MEDIA_PER_POST = 4;

@Injectable()
export class MediaService {
  constructor(
    private readonly media: MediaRepository,
    private readonly urls: MediaUrlSigner,
    private readonly openPosts: OpenPostsRule,
  ) {}

  /**
   * Own, processed image media, as avatars and covers need ('active' is the original design's word for ready). An avatar
   * is public and cached for good: an image of a premium, non-public, deleted or removed post is not usable as one.
   */
  findOwnReadyImage(userId: string, mediaId: string): Promise<Media | null> {
    return this.media.findOwnReadyImage(userId, mediaId, READY, this.openPosts.openSql({ post: 'p', author: 'a' }));
  }

  /** Attaches the author's ready, unattached media to a new post, in the post's transaction; 422 otherwise. */
  async attachToPost(em: EntityManager, userId: string, postId: string, mediaIds: string[]): Promise<void> {
    if (!mediaIds.length) return;
    const unique = [...new Set(mediaIds)];
    for (const media of await this.findAttachable(em, userId, unique)) {
      media.post = em.getReference('Post', postId) as Media['post'];
      media.position = unique.indexOf(media.id);
    }
  }

  /** Attaches the sender's ready, unattached media to a new direct message, in the message's transaction; 422 otherwise. */
  async attachToMessage(em: EntityManager, userId: string, messageId: string, mediaIds: string[]): Promise<void> {
    if (!mediaIds.length) return;
    const unique = [...new Set(mediaIds)];
    for (const media of await this.findAttachable(em, userId, unique)) {
      media.messageId = messageId;
      media.position = unique.indexOf(media.id);
    }
  }

  /** The uploads `ids`, all the user's own, ready and attached to nothing yet; 422 otherwise. */
  private async findAttachable(em: EntityManager, userId: string, ids: string[]): Promise<Media[]> {
    const found = await em.find(Media, { id: { $in: ids }, user: userId, status: { $in: [...READY] }, post: null, messageId: null });
    if (found.length !== ids.length || ids.length > MAX_MEDIA_PER_POST) {
      throw AppException.unprocessable('media_ids must be up to 4 of your own ready, unattached uploads', 'media_ids');
    }
    return found;
  }

  /**
   * Media of direct messages for a viewer the access policy has judged: `locked` messages show each item's id and type
   * only, `removed` ones (unsent) nothing, the rest with signed URLs (a message's media is never public).
   */
  async forMessages(messageIds: string[], locked: Set<string>, removed: Set<string>): Promise<Map<string, PostMediaResponse[]>> {
    const shown = messageIds.filter((id) => !removed.has(id));
    return this.presentForPosts(await this.media.forMessages(shown), locked);
  }

  /**
   * `forMessages` in two halves, for a renderer that asks the media with other questions in one statement: the SQL
   * over the ids the media are attached to (none for no ids), then its value presented for each message as
   * `forMessages` would: `rows` are the messages to show media for, each with the id its media hang on (`key`: its
   * own, or the mass message's it is a copy of, whose copies share them) and its own lock.
   */
  forMessagesSql(keys: string[]): SqlFragment | undefined {
    return keys.length ? MediaRepository.forMessagesJsonSql(keys) : undefined;
  }

  presentForMessagesJson(json: unknown, rows: { id: string; key: string; locked: boolean }[]): Map<string, PostMediaResponse[]> {
    const byKey = new Map<string, PostMediaRow[]>();
    for (const m of MediaRepository.postMediaRows(json)) byKey.set(m.postId, [...(byKey.get(m.postId) ?? []), m]);
    const items = rows.flatMap((r) => (byKey.get(r.key) ?? []).map((m) => ({ ...m, postId: r.id })));
    return this.presentForPosts(items, new Set(rows.filter((r) => r.locked).map((r) => r.id)));
  }

  /**
   * Media of many posts in one query, in attachment order, for a viewer the access policy has already judged.
   * `locked` posts show only each item's id and type; media of `restricted` posts (premium, or not public) get
   * expiring signed URLs; the rest plain URLs. Without `restricted`, every URL is signed.
   */
  async forPosts(postIds: string[], locked: Set<string>, restricted?: Set<string>): Promise<Map<string, PostMediaResponse[]>> {
    return this.presentForPosts(await this.media.forPosts(postIds), locked, restricted);
  }

  /**
   * `forPosts` in two halves, for a renderer that reads the media in a statement of its own: the SQL (a scalar JSON
   * expression; none for no posts), then its value presented as `forPosts` would.
   */
  forPostsSql(postIds: string[]): SqlFragment | undefined {
    return postIds.length ? MediaRepository.forPostsJsonSql(postIds) : undefined;
  }

  presentForPostsJson(json: unknown, locked: Set<string>, restricted?: Set<string>): Map<string, PostMediaResponse[]> {
    return this.presentForPosts(MediaRepository.postMediaRows(json), locked, restricted);
  }

  private presentForPosts(rows: PostMediaRow[], locked: Set<string>, restricted?: Set<string>): Map<string, PostMediaResponse[]> {
    const byPost = new Map<string, PostMediaResponse[]>();
    for (const media of rows) {
      const postId = media.postId;
      const shown = locked.has(postId)
        ? toLockedMediaResponse(media)
        : toMediaResponse(media, this.urlsOf(media, restricted ? !restricted.has(postId) : false));
      byPost.set(postId, [...(byPost.get(postId) ?? []), shown]);
    }
    return byPost;
  }

  async getOwn(actor: AuthUser, id: string): Promise<MediaResponse> {
    return this.ownView(await this.findOwn(actor, id));
  }

  async updateOwn(actor: AuthUser, id: string, dto: UpdateMediaDto): Promise<MediaResponse> {
    const media = await this.findOwn(actor, id);
    if (dto.alt_text !== undefined) media.altText = dto.alt_text?.trim() ? dto.alt_text : null;
    await this.media.getEntityManager().flush();
    return this.ownView(media);
  }

  private async findOwn(actor: AuthUser, id: string): Promise<Media> {
    const media = await this.media.findOne({ id, user: actor.id });
    if (!media) throw MediaErrors.notFound();
    return media;
  }

  /** The owner's view: URLs once the bytes are ready, plain where the file is public anyway, else signed. */
  private async ownView(media: Media): Promise<MediaResponse> {
    if (!(READY as readonly string[]).includes(media.status)) return toMediaResponse(media, null);
    const servable = await this.media.findServable(media.id, this.openPosts.openSql({ post: 'p', author: 'a' }));
    return toMediaResponse(media, this.urlsOf(media, !!servable?.is_public && !servable.post_deleted));
  }

  private urlsOf(media: Pick<Media, 'storageKey' | 'previewKey'>, isPublic: boolean): { url: string; previewUrl: string | null } {
    const url = (key: string) => (isPublic ? this.urls.publicUrl(key) : this.urls.signedUrl(key));
    return { url: url(media.storageKey), previewUrl: media.previewKey ? url(media.previewKey) : null };
  }
}
