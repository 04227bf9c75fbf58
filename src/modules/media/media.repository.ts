import { EntityRepository } from '@mikro-orm/postgresql';
import { Media } from './entities/media.entity';

export class MediaRepository extends EntityRepository<Media> {}
