import { pipeline, Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { AppConfig } from '@/common/config/app-config';
import { AppException } from '@/common/errors/app.exception';
import { OutboxService } from '@/common/outbox/outbox.service';
import { User } from '@/modules/users/entities/user.entity';
import { MediaResponse, toMediaResponse } from './dto/media.response';
import { Media, MediaType } from './entities/media.entity';
import { newStorageKey, uploadKeyOf } from './media-keys';
import { SNIFF_BYTES, sniffMediaType } from './media-sniff';
import { ByteLimit, readHead } from './media-streams';
import { MediaUrlSigner } from './media-url.signer';
import { MediaErrors } from './media.errors';
import { MEDIA_STORAGE, MediaStorage } from './storage/media-storage';

export const ALT_TEXT_MAX = 1500;
/** Room for the multipart boundaries, part headers and `alt_text` around the file. */
const ENVELOPE_BYTES = 64 * 1024;

interface StoredUpload {
  id: string;
  type: MediaType;
  mimeType: string;
  storageKey: string;
  /** Where the bytes went: the key itself, or for images the upload key the worker re-encodes from. */
  writtenKey: string;
  size: number;
}

/**
 * `POST /media`: streams the one file of a multipart body to storage while counting it, after sniffing its type from
 * the first bytes; the row and its `media.uploaded` event are written only once every byte is stored. Any failure
 * (wrong type, too large, client gone, database down) removes what was written: no file, no row.
 */
@Injectable()
export class MediaUploadService {
  private readonly logger = new Logger(MediaUploadService.name);

  constructor(
    private readonly em: EntityManager,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly outbox: OutboxService,
    private readonly urls: MediaUrlSigner,
    private readonly config: AppConfig,
  ) {}

  private get maxBodyBytes(): number {
    return Math.max(this.config.media.maxImageBytes, this.config.media.maxVideoBytes) + ENVELOPE_BYTES;
  }

  async upload(actor: AuthUser, request: FastifyRequest): Promise<MediaResponse> {
    if (!request.isMultipart()) throw MediaErrors.notMultipart();
    if (Number(request.headers['content-length']) > this.maxBodyBytes) {
      throw withClose(MediaErrors.tooLarge(Math.max(this.config.media.maxImageBytes, this.config.media.maxVideoBytes)));
    }
    let stored: StoredUpload | undefined;
    try {
      let altText: string | null = null;
      const parts = request.parts({ limits: { files: 1, fields: 4, parts: 6, fieldSize: ALT_TEXT_MAX * 4, fileSize: this.maxBodyBytes } });
      for await (const part of parts) {
        if (part.type === 'field') altText = this.altText(part);
        else if (part.fieldname !== 'file' || stored) throw MediaErrors.invalidField(part.fieldname, 'is not expected: send one file as "file"');
        else stored = await this.store(part);
      }
      if (!stored) throw MediaErrors.invalidField('file', 'is required');
      return toMediaResponse(await this.record(actor, stored, altText), null);
    } catch (error) {
      if (stored) await this.discard(stored.writtenKey);
      throw releaseBody(request, error);
    }
  }

  private altText(part: MultipartValue): string | null {
    if (part.fieldname !== 'alt_text') throw MediaErrors.invalidField(part.fieldname, 'is not a known field');
    const value = String(part.value ?? '');
    if (part.valueTruncated || [...value].length > ALT_TEXT_MAX) throw MediaErrors.invalidField('alt_text', `must be at most ${ALT_TEXT_MAX} characters`);
    return value.trim() ? value : null;
  }

  private async store(part: MultipartFile): Promise<StoredUpload> {
    const { head, body } = await readHead(part.file, SNIFF_BYTES);
    const sniffed = head.length ? await sniffMediaType(head) : null;
    if (!sniffed) {
      body.destroy();
      throw MediaErrors.unsupportedType();
    }
    const limit = sniffed.type === 'image' ? this.config.media.maxImageBytes : this.config.media.maxVideoBytes;
    const id = v7();
    const storageKey = newStorageKey(id, sniffed.mimeType);
    const writtenKey = sniffed.type === 'image' ? uploadKeyOf(storageKey) : storageKey;
    const counter = new ByteLimit(limit, () => MediaErrors.tooLarge(limit));
    try {
      await this.storage.put(writtenKey, limited(body, counter), sniffed.mimeType);
    } catch (error) {
      await this.discard(writtenKey);
      throw error;
    }
    return { id, ...sniffed, storageKey, writtenKey, size: counter.bytes };
  }

  private async record(actor: AuthUser, stored: StoredUpload, altText: string | null): Promise<Media> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const media = em.create(Media, {
        id: stored.id,
        user: em.getReference(User, actor.id),
        type: stored.type,
        status: 'processing',
        url: this.urls.publicUrl(stored.storageKey),
        storageKey: stored.storageKey,
        mimeType: stored.mimeType,
        size: stored.size,
        altText,
      });
      this.outbox.record(em, 'media.uploaded', { mediaId: stored.id, userId: actor.id });
      return media;
    });
  }

  private async discard(key: string): Promise<void> {
    await this.storage.delete(key).catch((error: Error) => this.logger.warn(`partial upload ${key} not deleted: ${error.message}`));
  }
}

/** `body` through `counter`, errors included: a failing source fails the storage write instead of stalling it. */
function limited(body: Readable, counter: ByteLimit): Readable {
  return pipeline(body, counter, () => undefined);
}

function withClose(error: AppException): AppException {
  return new AppException(error.code, error.detail, { status: error.status, errors: error.errors, headers: { ...error.headers, Connection: 'close' } });
}

/**
 * A refused upload may leave part of the body unsent. With a declared length (already checked against the limit)
 * the rest is read and dropped, so the client gets to read the answer; without one there is no bound on what is
 * left, so the connection closes after the answer instead.
 */
function releaseBody(request: FastifyRequest, error: unknown): unknown {
  const raw = request.raw;
  // The client went away mid-upload: nobody reads this answer, and it is not a server error worth logging.
  if (!raw.complete && raw.destroyed) return error instanceof AppException ? error : MediaErrors.interrupted();
  if (raw.complete) return error;
  if (raw.headers['content-length']) {
    raw.unpipe();
    raw.resume();
    return error;
  }
  return error instanceof AppException ? withClose(error) : error;
}
