import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { Hashtag } from '../entities/hashtag.entity';

export class HashtagsRepository extends EntityRepository<Hashtag> {
  /** `name` lower-cased, without the `#`. */
  findByName(name: string): Promise<Hashtag | null> {
    return this.findOne({ name });
  }

  /** Links a post to its tags (creating missing tags): two statements for any number of tags. */
  async tagPost(em: EntityManager, postId: string, postCreatedAt: Date, names: string[]): Promise<void> {
    await em.execute('delete from post_hashtags where post_id = ?', [postId]);
    if (!names.length) return;
    await em.execute(
      `insert into hashtags (id, name, created_at) select * from unnest(array[?]::uuid[], array[?]::text[], array[?]::timestamptz[]) on conflict (name) do nothing`,
      [names.map(() => v7()), names, names.map(() => new Date())],
    );
    await em.execute(
      `insert into post_hashtags (post_id, hashtag_id, created_at) select ?, id, ? from hashtags where name in (?) on conflict do nothing`,
      [postId, postCreatedAt, names],
    );
  }
}
