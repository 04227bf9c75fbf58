import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { MediaService } from '@/modules/media/media.service';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { renderContent } from '@/modules/posts/post-content';
import { MessageResponse } from './dto/messages.dto';
import { MessageRow, MessagesRepository } from './messages.repository';

/**
 * Messages as one viewer may see them, for every path that shows one (a page, a conversation's `last_message`, the
 * send's answer, the live stream): the access policy decides (`PostAccessPolicy.decideMessages`, the same lock as
 * posts; `bought`: billing's `message_unlocks`, through entitlements), this renders. Locked: no content, media `{ id, type }`, the teaser. Unsent: no content, no media, except for
 * a buyer. Rows the viewer may not see at all are dropped.
 */
@Injectable()
export class MessageViewsService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly policy: PostAccessPolicy,
    private readonly media: MediaService,
    private readonly config: AppConfig,
    private readonly entitlements: EntitlementsService,
  ) {}

  /** A message's HTML: escaped text with links and hashtags, as posts (mentions stay text: nobody is notified). */
  html(content: string): string {
    return renderContent(content, { publicUrl: this.config.http.publicUrl, users: new Map() });
  }

  async render(viewer: AuthUser, rows: MessageRow[]): Promise<MessageResponse[]> {
    const ids = rows.map((r) => r.id);
    const access = this.policy.decideMessages(viewer, rows, await this.entitlements.unlockedMessages(viewer.id, ids));
    const shown = rows.filter((r) => access.get(r.id)!.visible);
    const locked = new Set(shown.filter((r) => access.get(r.id)!.locked).map((r) => r.id));
    const unsent = new Set(shown.filter((r) => access.get(r.id)!.unsent).map((r) => r.id));
    // A mass message's copies share its media, attached to the mass message's id: each row's media are its key's,
    // shaped by this row's own lock (a copy bought by this viewer is open, another still locked).
    const key = (r: MessageRow) => r.mass_message_id ?? r.id;
    const withMedia = shown.filter((r) => !unsent.has(r.id));
    const lockedKeys = [...new Set(withMedia.filter((r) => locked.has(r.id)).map(key))];
    const openKeys = [...new Set(withMedia.filter((r) => !locked.has(r.id)).map(key))];
    const [lockedMedia, openMedia] = await Promise.all([
      this.media.forMessages(lockedKeys, new Set(lockedKeys), new Set()),
      this.media.forMessages(openKeys, new Set(), new Set()),
    ]);
    return shown.map((r) => {
      const hidden = locked.has(r.id) || unsent.has(r.id);
      return {
        id: r.id,
        conversation_id: r.conversation_id,
        sender: { id: r.sender_id, username: r.sender_username, display_name: r.sender_display_name, avatar_url: r.sender_avatar_url, verified: r.sender_verified },
        content: hidden ? null : r.content,
        content_html: hidden ? null : r.content_html,
        media: unsent.has(r.id) ? [] : ((locked.has(r.id) ? lockedMedia : openMedia).get(key(r)) ?? []),
        price_cents: r.price_cents,
        locked: locked.has(r.id),
        preview: r.preview,
        tip_cents: r.tip_cents,
        created_at: r.created_at.toISOString(),
        deleted_at: r.deleted_at ? r.deleted_at.toISOString() : null,
      };
    });
  }

  /** Messages by id as `viewer` sees them, in the order asked (missing or not theirs: left out). */
  async byIds(viewer: AuthUser, ids: string[]): Promise<MessageResponse[]> {
    const rows = await this.messages.messagesByIds(ids);
    const order = new Map(ids.map((id, i) => [id, i]));
    return this.render(viewer, rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!));
  }
}
