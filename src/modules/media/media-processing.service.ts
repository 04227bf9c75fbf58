import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { Media } from './entities/media.entity';
import { previewOf, processImage } from './image-pipeline';
import { previewKeyOf, uploadKeyOf } from './media-keys';
import { UnprocessableMedia } from './media.errors';
import { MediaRepository } from './media.repository';
import { DiskMediaStorage } from './storage/disk.storage';
import { MEDIA_STORAGE, MediaObjectMissing, MediaStorage } from './storage/media-storage';
import { posterFrame, probeVideo, videoToolsAvailable } from './video-probe';

export type ProcessOutcome = 'ready' | 'failed' | 'skipped';

/** Images are bounded by the upload limit (10 MB by default), and sharp decodes from memory anyway. */
async function readAll(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new UnprocessableMedia('the stored upload is larger than the limit');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The worker side of an upload: images are decoded and re-encoded without metadata, with a WebP preview and a
 * blurhash; videos get dimensions and a poster when ffprobe/ffmpeg are installed. Idempotent: media that already
 * left `processing` (or vanished) are skipped.
 */
@Injectable()
export class MediaProcessingService {
  private readonly logger = new Logger(MediaProcessingService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly media: MediaRepository,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly config: AppConfig,
  ) {}

  async process(mediaId: string): Promise<ProcessOutcome> {
    const media = await this.media.findOne({ id: mediaId });
    if (!media || media.status !== 'processing') return 'skipped';
    try {
      if (media.type === 'image') await this.processImage(media);
      else await this.processVideo(media);
      media.status = 'ready';
      media.failureReason = null;
    } catch (error) {
      const permanent = error instanceof UnprocessableMedia || error instanceof MediaObjectMissing;
      if (!permanent) throw error;
      media.status = 'failed';
      media.failureReason = (error as Error).message.slice(0, 500);
    }
    await this.em.flush();
    if (media.type === 'image') await this.storage.delete(uploadKeyOf(media.storageKey)).catch((e: Error) => this.logger.warn(`upload not deleted: ${e.message}`));
    return media.status === 'ready' ? 'ready' : 'failed';
  }

  /** After the last attempt of a transient failure (storage, database): the media will not become ready. */
  markFailed(mediaId: string, reason: string): Promise<void> {
    return this.media.markFailed(mediaId, reason);
  }

  private async processImage(media: Media): Promise<void> {
    const input = await readAll(await this.storage.get(uploadKeyOf(media.storageKey)), this.config.media.maxImageBytes);
    const image = await processImage(input, media.mimeType ?? '');
    const previewKey = previewKeyOf(media.storageKey);
    await this.storage.put(media.storageKey, Readable.from([image.data]), media.mimeType!);
    await this.storage.put(previewKey, Readable.from([image.preview]), 'image/webp');
    Object.assign(media, { width: image.width, height: image.height, size: image.data.length, previewKey, blurhash: image.blurhash });
  }

  private async processVideo(media: Media): Promise<void> {
    const stored = await this.storage.stat(media.storageKey);
    if (!stored) throw new MediaObjectMissing(media.storageKey);
    media.size = stored.size;
    if (!(await videoToolsAvailable())) return;
    await this.withLocalFile(media.storageKey, async (path) => {
      Object.assign(media, await probeVideo(path));
      const frame = await posterFrame(path).catch(() => null);
      if (!frame) return;
      const poster = await previewOf(frame);
      media.previewKey = previewKeyOf(media.storageKey);
      await this.storage.put(media.previewKey, Readable.from([poster]), 'image/webp');
    });
  }

  /** ffprobe needs a seekable file: the disk driver's own, or a temporary copy of an S3 object. */
  private async withLocalFile(key: string, use: (path: string) => Promise<void>): Promise<void> {
    if (this.storage instanceof DiskMediaStorage) return use(this.storage.pathOf(key));
    const dir = await mkdtemp(join(tmpdir(), 'x18-media-'));
    try {
      const path = join(dir, 'video');
      await pipeline(await this.storage.get(key), createWriteStream(path));
      await use(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
