import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { parseRange } from './byte-range';
import { mediaIdOfKey } from './media-keys';
import { MediaUrlSigner } from './media-url.signer';
import { MediaErrors } from './media.errors';
import { OpenPostsRule } from './media.ports';
import { MediaRepository, ServableMedia } from './media.repository';
import { MEDIA_STORAGE, MediaStorage } from './storage/media-storage';

export interface FileRequest {
  key: string;
  exp?: unknown;
  sig?: unknown;
  range?: string;
  ifNoneMatch?: string;
  ifRange?: string;
}

export interface FileAnswer {
  status: 200 | 206 | 304;
  headers: Record<string, string | number>;
  body?: Readable;
}

const PUBLIC_CACHE = 'public, max-age=31536000, immutable';
const READY = new Set(['ready', 'active']);

const etagOf = (key: string, size: number) => `"${createHash('sha256').update(`${key}:${size}`).digest('base64url').slice(0, 27)}"`;

function servable(media: ServableMedia | null, key: string): media is ServableMedia {
  return !!media && READY.has(media.status) && !media.post_deleted && !media.owner_inactive && (key === media.storage_key || key === media.preview_key);
}

/**
 * `GET /media/files/<key>`. Public media (a live public non-premium post, an avatar or cover) are served to
 * anyone and cached for good. Everything else needs a valid, unexpired signature, which only viewers the post access
 * policy lets in ever receive; without one such a file does not exist (404), with a bad or stale one it is 403.
 * A signature outlives nothing: a file of a deleted or removed post, or of a suspended or deleted author, is 404
 * even through a URL signed before (the URL was handed out on a state that no longer holds).
 * Keys are immutable, so the ETag is a function of the key and size.
 */
@Injectable()
export class MediaFilesService {
  constructor(
    private readonly media: MediaRepository,
    private readonly signer: MediaUrlSigner,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly openPosts: OpenPostsRule,
  ) {}

  async open(request: FileRequest, nowMs = Date.now()): Promise<FileAnswer> {
    const signed = request.exp !== undefined || request.sig !== undefined;
    // The signature is checked before the database: a forged URL learns nothing about which keys exist.
    if (signed && this.signer.check(request.key, request.exp, request.sig, nowMs) !== 'valid') throw MediaErrors.badSignature();
    const id = mediaIdOfKey(request.key);
    const media = id ? await this.media.findServable(id, this.openPosts.openSql({ post: 'p', author: 'a' })) : null;
    if (!servable(media, request.key) || (!signed && !media.is_public)) throw MediaErrors.notFound();
    const stored = await this.storage.stat(request.key);
    if (!stored) throw MediaErrors.notFound();

    const etag = etagOf(request.key, stored.size);
    const headers: FileAnswer['headers'] = {
      'Content-Type': request.key === media.preview_key ? 'image/webp' : (media.mime_type ?? 'application/octet-stream'),
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': stored.modifiedAt.toUTCString(),
      'Cache-Control': signed ? `private, max-age=${Math.max(0, Number(request.exp) - Math.floor(nowMs / 1000))}` : PUBLIC_CACHE,
      'X-Content-Type-Options': 'nosniff',
    };
    if (request.ifNoneMatch?.split(/\s*,\s*/).includes(etag)) return { status: 304, headers };
    const range = request.ifRange && request.ifRange !== etag ? undefined : parseRange(request.range, stored.size);
    if (range === 'unsatisfiable') throw MediaErrors.rangeNotSatisfiable(stored.size);
    if (!range) return { status: 200, headers: { ...headers, 'Content-Length': stored.size }, body: await this.storage.get(request.key) };
    return {
      status: 206,
      headers: { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${stored.size}`, 'Content-Length': range.end - range.start + 1 },
      body: await this.storage.get(request.key, range),
    };
  }
}
