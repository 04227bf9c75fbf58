import { Injectable } from '@nestjs/common';
import { Media } from './entities/media.entity';
import { MediaRepository } from './media.repository';

@Injectable()
export class MediaService {
  constructor(private readonly media: MediaRepository) {}

  /** Own, processed image media, as avatars and covers need ('active' is the original design's word for ready). */
  findOwnReadyImage(userId: string, mediaId: string): Promise<Media | null> {
    return this.media.findOne({ id: mediaId, user: userId, type: 'image', status: { $in: ['ready', 'active'] } });
  }
}
