import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { UsersService } from '@/modules/users/users.service';
import { extractEntities, renderContent } from './post-content';
import { HashtagsRepository } from './repositories/hashtags.repository';

export interface RenderedContent {
  html: string;
  mentionedIds: string[];
  hashtags: string[];
}

/** A post's text: its HTML with links to mentioned users that exist, and its hashtags. */
@Injectable()
export class PostContentService {
  constructor(
    private readonly users: UsersService,
    private readonly hashtags: HashtagsRepository,
    private readonly config: AppConfig,
  ) {}

  async render(text: string): Promise<RenderedContent> {
    const entities = extractEntities(text);
    const mentioned = await this.users.findActiveByUsernames(entities.mentions);
    const html = renderContent(text, { publicUrl: this.config.http.publicUrl, users: new Map(mentioned.map((u) => [u.username.toLowerCase(), u.username])) });
    return { html, mentionedIds: mentioned.map((u) => u.id), hashtags: entities.hashtags };
  }

  /**
   * In the post's transaction: links the post to exactly these tags and those of its teaser (`preview`). Tag pages
   * place a locked post only by its preview's tags, so those must be indexed too.
   */
  tag(em: EntityManager, postId: string, postCreatedAt: Date, hashtags: string[], preview: string | null): Promise<void> {
    const all = [...new Set([...hashtags, ...(preview ? extractEntities(preview).hashtags : [])])];
    return this.hashtags.tagPost(em, postId, postCreatedAt, all);
  }
}
