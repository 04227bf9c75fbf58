import { EntityRepository } from '@mikro-orm/postgresql';
import { PostHashtag } from '../entities/post-hashtag.entity';

export class PostHashtagsRepository extends EntityRepository<PostHashtag> {}
