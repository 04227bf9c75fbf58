import { EntityRepository } from '@mikro-orm/postgresql';
import { Hashtag } from '../entities/hashtag.entity';

export class HashtagsRepository extends EntityRepository<Hashtag> {
  /** `name` lower-cased, without the `#`. */
  findByName(name: string): Promise<Hashtag | null> {
    return this.findOne({ name });
  }
}
