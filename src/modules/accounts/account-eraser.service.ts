import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry } from '@/common/account-data/account-data.registry';
import { DomainEvent } from '@/common/outbox/domain-events';
import { OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { MEDIA_STORAGE, MediaStorage } from '@/modules/media/storage/media-storage';
import { UserLifecycleService } from '@/modules/users/user-lifecycle.service';
import { AccountDeletion } from './entities/account-deletion.entity';
import { AccountExport } from './entities/account-export.entity';

/**
 * The erasure worker's job: the parts' `onDeleted` first (Stripe; recorded, so it is never repeated), then every module's part in bounded
 * batches until each answers 0, then the tombstone's last fields. Every step is idempotent, so a crash anywhere
 * resumes on the job's retry; `erased_at` ends it.
 */
@Injectable()
export class AccountEraser implements OnModuleInit {
  private readonly logger = new Logger(AccountEraser.name);

  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    private readonly lifecycle: UserLifecycleService,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
  ) {}

  onModuleInit(): void {
    // The accounts module's own rows: exports (their archives in media storage first).
    this.registry.register({ name: 'exports', order: 60, eraseBatch: (userId) => this.eraseExports(userId) });
  }

  /** `account.deleted` (recorded by AccountDeletionService); a failure is retried with backoff. */
  @OnDomainEvent('account.deleted', { subscriber: 'accounts.erase', queue: QueueName.Accounts })
  async onDeleted(event: DomainEvent<'account.deleted'>): Promise<void> {
    await this.erase(event.payload.userId);
  }

  async erase(userId: string): Promise<void> {
    const deletion = await this.em.fork().findOne(AccountDeletion, { userId });
    if (!deletion || deletion.erasedAt) return;
    if (!deletion.stripeDoneAt) {
      // Billing's part ends the Stripe subscriptions: recorded once done, so a retry never repeats it.
      for (const part of this.registry.all()) await part.onDeleted?.(userId);
      await this.em.fork().nativeUpdate(AccountDeletion, { userId }, { stripeDoneAt: new Date() });
    }
    let rows = 0;
    for (const part of this.registry.all()) {
      if (!part.eraseBatch) continue;
      for (let removed = await part.eraseBatch(userId); removed > 0; removed = await part.eraseBatch(userId)) rows += removed;
    }
    await this.em.fork().transactional(async (em: EntityManager) => {
      await this.lifecycle.scrubTombstone(em, userId);
      await em.nativeUpdate(AccountDeletion, { userId }, { erasedAt: new Date() });
    });
    this.logger.log(`account ${userId} erased (${rows} rows)`);
  }

  private async eraseExports(userId: string): Promise<number> {
    const em = this.em.fork();
    const rows = await em.find(AccountExport, { user: userId }, { limit: 100 });
    await Promise.all(rows.filter((row) => row.storageKey).map((row) => this.storage.delete(row.storageKey!)));
    if (rows.length) await em.nativeDelete(AccountExport, { id: { $in: rows.map((row) => row.id) } });
    return rows.length;
  }
}
