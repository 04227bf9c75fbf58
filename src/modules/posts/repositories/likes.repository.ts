import { EntityRepository } from '@mikro-orm/postgresql';
import { Like } from '../entities/like.entity';

export class LikesRepository extends EntityRepository<Like> {}
