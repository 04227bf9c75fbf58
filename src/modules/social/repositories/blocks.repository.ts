import { EntityRepository } from '@mikro-orm/postgresql';
import { Block } from '../entities/block.entity';

export class BlocksRepository extends EntityRepository<Block> {}
