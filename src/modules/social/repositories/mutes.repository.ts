import { EntityRepository } from '@mikro-orm/postgresql';
import { Mute } from '../entities/mute.entity';

export class MutesRepository extends EntityRepository<Mute> {}
