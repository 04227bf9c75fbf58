import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Media } from './entities/media.entity';
import { MediaService } from './media.service';

/** Uploads, processing and serving arrive with the media work; profiles already use own ready images. */
@Module({ imports: [MikroOrmModule.forFeature([Media])], providers: [MediaService], exports: [MediaService] })
export class MediaModule {}
