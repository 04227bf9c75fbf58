import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';
import { MEDIA_STORAGE, MediaStorage } from './storage/media-storage';

const BATCH = 100;

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif', 'video/mp4': 'mp4', 'video/webm': 'webm', 'video/quicktime': 'mov' };

type MediaRow = { id: string; storage_key: string; preview_key: string | null; mime_type: string | null };

/** A deleted account's media: files on disk or S3 first, then the rows. Exports carry the original files. */
@Injectable()
export class MediaAccountDataService implements OnModuleInit {
  private readonly logger = new Logger(MediaAccountDataService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'media',
      // After posts: deleting posts detaches their media, which are deleted here with the rest.
      order: 30,
      eraseBatch: (userId) => this.eraseBatch(userId),
      export: (userId, sink) => this.export(userId, (name, open) => sink.file(name, open)),
    });
  }

  /** Files before rows: a crash in between leaves rows whose files are gone, and the retry deletes them again (idempotent). */
  async eraseBatch(userId: string): Promise<number> {
    const em = this.em.fork();
    const rows = await em.execute<MediaRow[]>('select id, storage_key, preview_key, mime_type from media where user_id = ? limit ?', [userId, BATCH]);
    if (!rows.length) return 0;
    const keys = rows.flatMap((row) => [row.storage_key, row.preview_key].filter((key): key is string => !!key));
    await Promise.all(keys.map((key) => this.storage.delete(key)));
    await em.execute('delete from media where id in (?)', [rows.map((row) => row.id)]);
    this.logger.debug(`erased ${rows.length} media of ${userId}`);
    return rows.length;
  }

  private async export(userId: string, add: (name: string, open: () => ReturnType<MediaStorage['get']>) => void): Promise<void> {
    let after = '';
    for (;;) {
      const rows = await this.em
        .fork()
        .execute<MediaRow[]>(
          `select id, storage_key, preview_key, mime_type from media where user_id = ? and status in ('ready', 'active') and id > ? order by id limit 500`,
          [userId, after || '00000000-0000-0000-0000-000000000000'],
        );
      for (const row of rows) {
        if (!(await this.storage.stat(row.storage_key))) continue;
        add(`media/${row.id}.${EXTENSIONS[row.mime_type ?? ''] ?? 'bin'}`, () => this.storage.get(row.storage_key));
      }
      if (rows.length < 500) return;
      after = rows[rows.length - 1].id;
    }
  }
}
