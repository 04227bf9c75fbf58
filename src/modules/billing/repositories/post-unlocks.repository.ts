import { EntityRepository } from '@mikro-orm/postgresql';
import { PostUnlock } from '../entities/post-unlock.entity';

export class PostUnlocksRepository extends EntityRepository<PostUnlock> {}
