import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { PROFILE_IMAGES, ProfileImages } from '@/modules/users/users.ports';
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
import { OpenPostsRule } from './media.ports';
import { MediaService } from './media.service';
import { mediaStorageProvider } from './storage/storage.provider';

/**
 * What other features use (posts render media, the events processor relays uploads) and users' `PROFILE_IMAGES`
 * port (avatars and covers). Imported as is by those modules; the app imports `MediaModule.forRoot(config)`, which
 * adds the routes and workers.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Media])],
  providers: [
    MediaService,
    MediaUrlSigner,
    mediaStorageProvider,
    MediaAccountDataService,
    OpenPostsRule,
    { provide: PROFILE_IMAGES, useFactory: (media: MediaService): ProfileImages => media, inject: [MediaService] },
  ],
  exports: [MediaService, MediaUrlSigner, mediaStorageProvider, PROFILE_IMAGES, OpenPostsRule],
})
export class MediaModule {
  /** Routes where the API runs, processors where workers run (`APP_ROLE`), as `NotificationsModule.forRoot`. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MediaFeatureModule,
      // Its own ORM feature: MediaModule does not export media's repository to the modules importing it.
      imports: [MediaModule, MikroOrmModule.forFeature([Media])],
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
