import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
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
/** A live, public, non-premium post `p`: its media may be served without a signature. */
const OPEN_POST = `(p.visibility = 'public' and not p.is_premium and p.deleted_at is null and p.removed_at is null)`;

export class MediaRepository extends EntityRepository<Media> {
  async findServable(id: string): Promise<ServableMedia | null> {
    const [row] = await this.getEntityManager().execute<ServableMedia[]>(
      `select m.id, m.status, m.mime_type, m.storage_key, m.preview_key,
         coalesce(p.deleted_at is not null or p.removed_at is not null, false) as post_deleted,
         coalesce(${OPEN_POST} and a.suspended_at is null, false)
           -- An avatar or cover is public, unless the same file belongs to a restricted post: that never is.
           or (${ACTIVE_PROFILE_IMAGE} and (p.id is null or ${OPEN_POST})) as is_public
       from media m
       left join posts p on p.id = m.post_id
       left join users a on a.id = p.user_id
       where m.id = ?`,
      [id],
    );
    return row ?? null;
  }

  /** Uploads never attached to a post (nor used as avatar or cover) since before `cutoff`; deletes up to `limit` rows. */
  deleteUnattachedBefore(cutoff: Date, limit: number): Promise<DeletedMediaFiles[]> {
    return this.getEntityManager().execute<DeletedMediaFiles[]>(
      `delete from media m where m.id in (
         select m.id from media m
         where m.post_id is null and m.created_at < ? and not ${PROFILE_IMAGE}
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
