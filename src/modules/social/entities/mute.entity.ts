import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { MutesRepository } from '../repositories/mutes.repository';

/** `muter` mutes `muted`. */
@Entity({ tableName: 'mutes', repository: () => MutesRepository })
@Unique({ name: 'mutes_muter_id_muted_id_unique', properties: ['muter', 'muted'] })
@Index({ name: 'mutes_muted_id_index', properties: ['muted'] })
@Check({ name: 'mutes_not_self_check', expression: 'muter_id <> muted_id' })
export class Mute {
  [EntityRepositoryType]?: MutesRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  muter: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  muted: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
