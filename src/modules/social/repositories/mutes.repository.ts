import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { Mute } from '../entities/mute.entity';

export class MutesRepository extends EntityRepository<Mute> {
  async mutedAmong(viewerId: string, userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      'select muted_id as id from mutes where muter_id = ? and muted_id in (?)',
      [viewerId, userIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  async mute(em: EntityManager, muterId: string, mutedId: string): Promise<void> {
    await em.execute(
      'insert into mutes (id, muter_id, muted_id, created_at) values (?, ?, ?, now()) on conflict (muter_id, muted_id) do nothing',
      [v7(), muterId, mutedId],
    );
  }

  async unmute(em: EntityManager, muterId: string, mutedId: string): Promise<void> {
    await em.execute('delete from mutes where muter_id = ? and muted_id = ?', [muterId, mutedId]);
  }
}
