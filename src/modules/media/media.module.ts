import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { Media } from './entities/media.entity';
import { MediaCleanupService } from './media-cleanup.service';
import { MediaAccountDataService } from './media-account-data.service';
import { MediaFilesController } from './media-files.controller';
import { MediaFilesService } from './media-files.service';
import { MediaProcessingService } from './media-processing.service';
import { MediaUploadService } from './media-upload.service';
import { MediaUrlSigner } from './media-url.signer';
import { MediaController } from './media.controller';
import { MediaProcessor } from './media.processor';
import { MediaService } from './media.service';
import { mediaStorageProvider } from './storage/storage.provider';

/**
 * What other features use (posts render media, profiles take avatars, the events processor relays uploads).
 * Imported as is by those modules; the app imports `MediaModule.forRoot(config)`, which adds the routes and workers.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Media])],
  providers: [MediaService, MediaUrlSigner, mediaStorageProvider, MediaAccountDataService],
  exports: [MediaService, MediaUrlSigner, mediaStorageProvider, MikroOrmModule],
})
export class MediaModule {
  /** Routes where the API runs, processors where workers run (`APP_ROLE`), as `NotificationsModule.forRoot`. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MediaFeatureModule,
      imports: [MediaModule],
      controllers: config.runsApi ? [MediaController, MediaFilesController] : [],
      providers: [
        ...(config.runsApi ? [MediaUploadService, MediaFilesService] : []),
        ...(config.runsWorkers ? [MediaProcessingService, MediaCleanupService, MediaProcessor] : []),
      ],
    };
  }
}

/** The routes and workers around `MediaModule`, kept apart so the modules importing `MediaModule` share one instance. */
@Module({})
class MediaFeatureModule {}
