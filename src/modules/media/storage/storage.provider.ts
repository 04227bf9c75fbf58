import { Provider } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { DiskMediaStorage } from './disk.storage';
import { MEDIA_STORAGE, MediaStorage } from './media-storage';

/** S3 when `S3_BUCKET` is set, else the local `MEDIA_DIR`. The AWS SDK is only loaded when S3 is used. */
export async function createMediaStorage(config: AppConfig): Promise<MediaStorage> {
  if (!config.media.s3) return new DiskMediaStorage(config.media.dir);
  const { S3MediaStorage } = await import('./s3.storage');
  return new S3MediaStorage(config.media.s3);
}

export const mediaStorageProvider: Provider = {
  provide: MEDIA_STORAGE,
  inject: [AppConfig],
  useFactory: createMediaStorage,
};
