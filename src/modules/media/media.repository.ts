import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { SqlFragment, sql, text, value } from '@/common/database/sql-fragment';
import { MediaFields } from './dto/media.response';
import { Media } from './entities/media.entity';

/** A media row as the file route needs it, with whether its bytes may be served without a signature. */
export interface ServableMedia {
  id: string;
  status: Media['status'];
  mime_type: string | null;
  storage_key: string;
  preview_key: string | null;
  /** Attached to a post that is deleted (or removed by a moderator): never served. */
  post_deleted: boolean;
  /**
   * The post's author (or, unattached, the uploader) is suspended or deleted (a deleted account is suspended too):
   * never served, not even through a signed URL handed out before.
   */
  owner_inactive: boolean;
  /** A live, public, non-premium post of an active author, or the owner's avatar or cover. */
  is_public: boolean;
}

/** What processing an upload found: `ready` with its dimensions and preview, or `failed` with the reason. */
export type ProcessedMedia = { status: 'ready' | 'failed'; failureReason: string | null } & Partial<
  Pick<Media, 'width' | 'height' | 'size' | 'previewKey' | 'blurhash'>
>;

/** Files of a deleted media row, for the storage clean-up that follows. */
export interface DeletedMediaFiles {
  id: string;
  type: Media['type'];
  storage_key: string;
  preview_key: string | null;
}

/** The owner's avatar or cover: the one use of an unattached image that is public. */
const PROFILE_IMAGE = `exists (select 1 from users o where o.id = m.user_id and (o.avatar_media_id = m.id or o.cover_media_id = m.id))`;
const ACTIVE_PROFILE_IMAGE = `exists (select 1 from users o where o.id = m.user_id and o.suspended_at is null and (o.avatar_media_id = m.id or o.cover_media_id = m.id))`;
const RETURNING = 'returning m.id, m.type, m.storage_key, m.preview_key';

/** A post's media item as the read paths fetch it (no entity): the response's fields and the storage keys. */
export type PostMediaRow = MediaFields & { postId: string; storageKey: string; previewKey: string | null };

export class MediaRepository extends EntityRepository<Media> {
  /**
   * Media of posts (`postIds` not empty) as one JSON array in attachment order, a scalar expression: run alone by
   * `forPosts`, or as one column of a statement that asks several things at once (the post renderer's).
   */
  static forPostsJsonSql(postIds: string[]): SqlFragment {
    return {
      sql: `select coalesce(json_agg(json_build_object(
               'id', m.id, 'postId', m.post_id, 'type', m.type, 'status', m.status, 'storageKey', m.storage_key,
               'previewKey', m.preview_key, 'width', m.width, 'height', m.height, 'size', m.size, 'mimeType', m.mime_type,
               'altText', m.alt_text, 'blurhash', m.blurhash, 'createdAt', m.created_at)
             order by m.position asc, m.created_at asc), '[]'::json)
           from media m where m.post_id in (?)`,
      params: [postIds],
    };
  }

  /** The JSON of `forPostsJsonSql` as rows (its timestamps are strings). */
  static postMediaRows(json: unknown): PostMediaRow[] {
    const rows = (typeof json === 'string' ? JSON.parse(json) : (json ?? [])) as (Omit<PostMediaRow, 'createdAt'> & { createdAt: string })[];
    return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt) }));
  }

  /**
   * Media of direct messages, in attachment order, shaped as `forPosts` answers (the message's id in `postId`, the
   * key the presenter groups by).
   */
  async forMessages(messageIds: string[]): Promise<PostMediaRow[]> {
    if (!messageIds.length) return [];
    const q = MediaRepository.forMessagesJsonSql(messageIds);
    const [row] = await this.getEntityManager().execute<{ media: unknown }[]>(`select (${q.sql}) as media`, [...q.params]);
    return MediaRepository.postMediaRows(row?.media);
  }

  /** `forMessages` as a scalar JSON expression (`forPostsJsonSql` over `message_id`), for a caller asking it with other questions. */
  static forMessagesJsonSql(messageIds: string[]): SqlFragment {
    const q = MediaRepository.forPostsJsonSql(messageIds);
    return { sql: q.sql.replace("'postId', m.post_id", "'postId', m.message_id").replace('where m.post_id in (?)', 'where m.message_id in (?)'), params: q.params };
  }

  async forPosts(postIds: string[]): Promise<PostMediaRow[]> {
    if (!postIds.length) return [];
    const q = MediaRepository.forPostsJsonSql(postIds);
    const [row] = await this.getEntityManager().execute<{ media: unknown }[]>(`select (${q.sql}) as media`, [...q.params]);
    return MediaRepository.postMediaRows(row?.media);
  }

  /**
   * `openPost`: the access policy's `openSql` over the media's post `p` and its author `a` (media's `OpenPostsRule`):
   * a post open to anyone, whose media may be served without a signature.
   */
  async findServable(id: string, openPost: SqlFragment): Promise<ServableMedia | null> {
    const q = sql`select m.id, m.status, m.mime_type, m.storage_key, m.preview_key,
         coalesce(p.deleted_at is not null or p.removed_at is not null, false) as post_deleted,
         coalesce(a.suspended_at is not null, false) as owner_inactive,
         coalesce(${openPost}, false)
           -- An avatar or cover is public, unless the same file belongs to a restricted post: that never is.
           or (${text(ACTIVE_PROFILE_IMAGE)} and (p.id is null or coalesce(${openPost}, false))) as is_public
       from media m
       left join posts p on p.id = m.post_id
       left join users a on a.id = coalesce(p.user_id, m.user_id)
       where m.id = ${value(id)}`;
    const [row] = await this.getEntityManager().execute<ServableMedia[]>(q.sql, [...q.params]);
    return row ?? null;
  }

  /**
   * The user's own processed image `mediaId`, if it may become their avatar or cover: unattached, or attached to a
   * post open to anyone (`openPost`, as in `findServable`), since an avatar is public and cached for good.
   */
  async findOwnReadyImage(userId: string, mediaId: string, ready: readonly string[], openPost: SqlFragment): Promise<Media | null> {
    const q = sql`select m.id from media m
       left join posts p on p.id = m.post_id
       left join users a on a.id = p.user_id
       where m.id = ${value(mediaId)} and m.user_id = ${value(userId)} and m.type = 'image' and m.status in (${value(ready)})
         and (m.post_id is null or coalesce(${openPost}, false))`;
    const [row] = await this.getEntityManager().execute<{ id: string }[]>(q.sql, [...q.params]);
    return row ? this.findOne({ id: row.id }) : null;
  }

  /** Uploads never attached to a post (nor used as avatar or cover) since before `cutoff`; deletes up to `limit` rows. */
  deleteUnattachedBefore(cutoff: Date, limit: number): Promise<DeletedMediaFiles[]> {
    return this.getEntityManager().execute<DeletedMediaFiles[]>(
      `delete from media m where m.id in (
         select m.id from media m
         where m.post_id is null and m.message_id is null and m.created_at < ? and not ${PROFILE_IMAGE}
         order by m.created_at limit ? for update skip locked)
       ${RETURNING}`,
      [cutoff, limit],
    );
  }

  /** Media of soft-deleted posts (nor used as avatar or cover); deletes up to `limit` rows. */
  deleteOfDeletedPosts(limit: number): Promise<DeletedMediaFiles[]> {
    return this.getEntityManager().execute<DeletedMediaFiles[]>(
      `delete from media m where m.id in (
         select m.id from media m join posts p on p.id = m.post_id
         where p.deleted_at is not null and not ${PROFILE_IMAGE}
         limit ? for update of m skip locked)
       ${RETURNING}`,
      [limit],
    );
  }

  /** Writes a processing outcome in the caller's transaction, unless the media already left `processing`. */
  async settle(em: EntityManager, id: string, outcome: ProcessedMedia): Promise<void> {
    await em.nativeUpdate(Media, { id, status: 'processing' }, { ...outcome, updatedAt: new Date() });
  }
}
