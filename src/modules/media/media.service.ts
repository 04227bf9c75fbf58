import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppException } from '@/common/errors/app.exception';
import { MediaResponse, toMediaResponse } from './dto/media.response';
import { Media } from './entities/media.entity';
import { MediaRepository } from './media.repository';

const READY = ['ready', 'active'] as const;
export const MAX_MEDIA_PER_POST = 4;

@Injectable()
export class MediaService {
  constructor(private readonly media: MediaRepository) {}

  /** Own, processed image media, as avatars and covers need ('active' is the original design's word for ready). */
  findOwnReadyImage(userId: string, mediaId: string): Promise<Media | null> {
    return this.media.findOne({ id: mediaId, user: userId, type: 'image', status: { $in: [...READY] } });
  }

  /** Attaches the author's ready, unattached media to a new post, in the post's transaction; 422 otherwise. */
  async attachToPost(em: EntityManager, userId: string, postId: string, mediaIds: string[]): Promise<void> {
    if (!mediaIds.length) return;
    const unique = [...new Set(mediaIds)];
    const found = await em.find(Media, { id: { $in: unique }, user: userId, status: { $in: [...READY] }, post: null });
    if (found.length !== unique.length || unique.length > MAX_MEDIA_PER_POST) {
      throw AppException.unprocessable('media_ids must be up to 4 of your own ready, unattached uploads', 'media_ids');
    }
    for (const media of found) {
      media.post = em.getReference('Post', postId) as Media['post'];
      media.position = unique.indexOf(media.id);
    }
  }

  /** Media of many posts in one query, in attachment order. `locked` posts get no URLs. */
  async forPosts(postIds: string[], locked: Set<string>): Promise<Map<string, MediaResponse[]>> {
    const byPost = new Map<string, MediaResponse[]>();
    if (!postIds.length) return byPost;
    const rows = await this.media.find({ post: { $in: postIds } }, { orderBy: { position: 'asc', createdAt: 'asc' } });
    for (const media of rows) {
      const postId = media.post!.id;
      const urls = locked.has(postId) ? null : { url: media.url, previewUrl: media.previewKey ? media.url : null };
      byPost.set(postId, [...(byPost.get(postId) ?? []), toMediaResponse(media, urls)]);
    }
    return byPost;
  }
}
