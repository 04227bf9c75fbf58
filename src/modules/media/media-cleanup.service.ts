import { Inject, Injectable, Logger } from '@nestjs/common';
import { previewKeyOf, uploadKeyOf } from './media-keys';
import { DeletedMediaFiles, MediaRepository } from './media.repository';
import { MEDIA_STORAGE, MediaStorage } from './storage/media-storage';

const BATCH = 500;
/** Bounded work per run: what is left waits for the next hourly run. */
const MAX_BATCHES = 20;
export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

export interface CleanupReport {
  unattached: number;
  ofDeletedPosts: number;
}

/**
 * The hourly media clean-up: uploads never attached within 24 h and media of deleted posts lose their row, then
 * their files (row first: a file without a row is only litter, a row without its file would be a broken post).
 * Avatars and covers are kept. (An upload whose processing job was lost is the outbox's to re-send, not ours.)
 */
@Injectable()
export class MediaCleanupService {
  private readonly logger = new Logger(MediaCleanupService.name);

  constructor(
    private readonly media: MediaRepository,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  async run(now = new Date()): Promise<CleanupReport> {
    const cutoff = new Date(now.getTime() - UNATTACHED_TTL_MS);
    const unattached = await this.drain(() => this.media.deleteUnattachedBefore(cutoff, BATCH));
    const ofDeletedPosts = await this.drain(() => this.media.deleteOfDeletedPosts(BATCH));
    const report = { unattached, ofDeletedPosts };
    if (unattached || ofDeletedPosts) this.logger.log(`media clean-up: ${JSON.stringify(report)}`);
    return report;
  }

  private async drain(deleteBatch: () => Promise<DeletedMediaFiles[]>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const rows = await deleteBatch();
      await Promise.all(rows.map((row) => this.deleteFiles(row)));
      total += rows.length;
      if (rows.length < BATCH) break;
    }
    return total;
  }

  private async deleteFiles(row: DeletedMediaFiles): Promise<void> {
    const keys = [row.storage_key, row.preview_key ?? previewKeyOf(row.storage_key), ...(row.type === 'image' ? [uploadKeyOf(row.storage_key)] : [])];
    for (const key of keys) {
      await this.storage.delete(key).catch((error: Error) => this.logger.warn(`media file ${key} not deleted: ${error.message}`));
    }
  }
}
