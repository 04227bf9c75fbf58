import { Entity, EntityRepositoryType, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { HashtagsRepository } from '../repositories/hashtags.repository';

@Entity({ tableName: 'hashtags', repository: () => HashtagsRepository })
export class Hashtag {
  [EntityRepositoryType]?: HashtagsRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** Lower-cased, without the `#`. */
  @Property({ type: 'string', length: 100, unique: 'hashtags_name_unique' })
  name: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
