import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { AccountDataRegistry, ExportSink, jsonArray } from '@/common/account-data/account-data.registry';
import { DomainEvent } from '@/common/outbox/domain-events';
import { OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { MailService } from '@/modules/mail/mail.service';
import { MEDIA_STORAGE, MediaStorage } from '@/modules/media/storage/media-storage';
import { UsersService } from '@/modules/users/users.service';
import { AccountExport } from './entities/account-export.entity';
import { ExportLinks } from './export-links';
import { ExportsService } from './exports.service';

/**
 * Builds an export: a ZIP streamed straight into media storage (yazl reads each entry only when the archive reaches
 * it, JSON files come page by page, media files are opened one at a time), then marks it ready and mails the link in
 * one transaction. A retry rebuilds the archive under the same key.
 */
@Injectable()
export class ExportBuilder {
  private readonly logger = new Logger(ExportBuilder.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    private readonly exports: ExportsService,
    private readonly links: ExportLinks,
    private readonly mail: MailService,
    private readonly users: UsersService,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  @OnDomainEvent('export.requested', { subscriber: 'accounts.export', queue: QueueName.Accounts })
  async onRequested(event: DomainEvent<'export.requested'>): Promise<void> {
    await this.build(event.payload.exportId);
  }

  async build(exportId: string): Promise<void> {
    const row = await this.em.fork().findOne(AccountExport, { id: exportId, status: 'pending' }, { populate: ['user'] });
    if (!row) return;
    const userId = row.user.id;
    const key = `exports/${userId}/${row.id}.zip`;
    const zip = new ZipFile();
    const stored = this.storage.put(key, zip.outputStream as unknown as Readable, 'application/zip');
    const sink: ExportSink = {
      json: (name, items) => zip.addReadStreamLazy(name, (done) => done(null, jsonArray(items))),
      file: (name, open) =>
        zip.addReadStreamLazy(name, (done) => {
          open().then((stream) => done(null, stream), (error: Error) => done(error, undefined as never));
        }),
    };
    try {
      for (const part of this.registry.all()) await part.export?.(userId, sink);
    } finally {
      zip.end();
    }
    await stored;
    await this.em.fork().transactional(async (em: EntityManager) => {
      const done = await em.findOneOrFail(AccountExport, { id: row.id });
      done.status = 'ready';
      done.storageKey = key;
      done.finishedAt = new Date();
      const user = await this.users.getActive(userId);
      this.mail.request(em, {
        to: user.email,
        toVerified: user.emailVerified,
        template: 'export-ready',
        values: { name: user.displayName ?? user.username },
        link: this.links.url(done.id, this.exports.expiresAt(done)!),
      });
    });
    this.logger.log(`export ${row.id} ready`);
  }
}
