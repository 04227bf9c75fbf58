import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { AccountDataRegistry, ExportSink, jsonArray } from '@/common/account-data/account-data.registry';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { MEDIA_STORAGE, MediaStorage } from '@/modules/media/storage/media-storage';
import { AccountExport } from './entities/account-export.entity';
import { ExportDelivery } from './export-delivery.service';

/**
 * Builds an export: a ZIP streamed straight into media storage (yazl reads each entry only when the archive reaches
 * it, JSON files come page by page, media files are opened one at a time), then hands it to ExportDelivery (ready,
 * and the link mailed, in one transaction). A retry rebuilds the archive under the same key; once the last attempt
 * has failed the export is `failed` (committed with the event's receipt), so its owner sees it and may ask again.
 */
@Injectable()
export class ExportBuilder {
  private readonly logger = new Logger(ExportBuilder.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly delivery: ExportDelivery,
  ) {}

  @OnDomainEvent('export.requested', { subscriber: 'accounts.export', queue: QueueName.Accounts })
  async onRequested(event: DomainEvent<'export.requested'>, context: EventContext): Promise<void> {
    try {
      await this.build(event.payload.exportId);
    } catch (error) {
      if (!context.lastAttempt) throw error;
      this.logger.error(`export ${event.payload.exportId} failed after every attempt: ${(error as Error).message}`);
      await context.transaction((em) => this.delivery.failed(em, event.payload.exportId));
      throw error;
    }
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
    await this.delivery.ready(row.id, key);
    this.logger.log(`export ${row.id} ready`);
  }
}
