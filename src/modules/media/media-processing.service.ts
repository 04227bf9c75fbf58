import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { Media } from './entities/media.entity';
import { previewOf, processImage } from './image-pipeline';
import { previewKeyOf, uploadKeyOf } from './media-keys';
import { UnprocessableMedia } from './media.errors';
import { MediaRepository, ProcessedMedia } from './media.repository';
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
 * blurhash; videos get dimensions and a poster when ffprobe/ffmpeg are installed. The outcome commits with the event's
 * receipt; media that already left `processing` (or vanished) are skipped.
 */
@Injectable()
export class MediaProcessingService {
  private readonly logger = new Logger(MediaProcessingService.name);

  constructor(
    private readonly media: MediaRepository,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly config: AppConfig,
  ) {}

  /** Transient failures (storage, database) retry with backoff; after the last attempt the media is `failed`. */
  @OnDomainEvent('media.uploaded', { subscriber: 'media.process', queue: QueueName.Media })
  async onUploaded(event: DomainEvent<'media.uploaded'>, context: EventContext): Promise<ProcessOutcome> {
    const media = await this.media.findOne({ id: event.payload.mediaId });
    if (!media || media.status !== 'processing') return 'skipped';
    let outcome: ProcessedMedia;
    try {
      outcome = await this.process(media);
    } catch (error) {
      if (!context.lastAttempt) throw error;
      const failureReason = `processing failed after every attempt: ${(error as Error).message}`.slice(0, 500);
      await context.transaction((em) => this.media.settle(em, media.id, { status: 'failed', failureReason }));
      throw error;
    }
    await context.transaction((em) => this.media.settle(em, media.id, outcome));
    if (media.type === 'image') await this.storage.delete(uploadKeyOf(media.storageKey)).catch((e: Error) => this.logger.warn(`upload not deleted: ${e.message}`));
    return outcome.status;
  }

  /** The processed media's new columns; a permanent failure (unreadable, missing) is an outcome, others throw. */
  private async process(media: Media): Promise<ProcessedMedia> {
    try {
      const found = media.type === 'image' ? await this.processImage(media) : await this.processVideo(media);
      return { ...found, status: 'ready', failureReason: null };
    } catch (error) {
      const permanent = error instanceof UnprocessableMedia || error instanceof MediaObjectMissing;
      if (!permanent) throw error;
      return { status: 'failed', failureReason: (error as Error).message.slice(0, 500) };
    }
  }

  private async processImage(media: Media): Promise<Partial<ProcessedMedia>> {
    const input = await readAll(await this.storage.get(uploadKeyOf(media.storageKey)), this.config.media.maxImageBytes);
    const image = await processImage(input, media.mimeType ?? '');
    const previewKey = previewKeyOf(media.storageKey);
    await this.storage.put(media.storageKey, Readable.from([image.data]), media.mimeType!);
    await this.storage.put(previewKey, Readable.from([image.preview]), 'image/webp');
    return { width: image.width, height: image.height, size: image.data.length, previewKey, blurhash: image.blurhash };
  }

  private async processVideo(media: Media): Promise<Partial<ProcessedMedia>> {
    const stored = await this.storage.stat(media.storageKey);
    if (!stored) throw new MediaObjectMissing(media.storageKey);
    const found: Partial<ProcessedMedia> = { size: stored.size };
    if (!(await videoToolsAvailable())) return found;
    await this.withLocalFile(media.storageKey, async (path) => {
      Object.assign(found, await probeVideo(path));
      const frame = await posterFrame(path).catch(() => null);
      if (!frame) return;
      const poster = await previewOf(frame);
      found.previewKey = previewKeyOf(media.storageKey);
      await this.storage.put(found.previewKey, Readable.from([poster]), 'image/webp');
    });
    return found;
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
