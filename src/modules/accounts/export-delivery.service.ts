import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { MailService } from '@/modules/mail/mail.service';
import { UsersService } from '@/modules/users/users.service';
import { AccountExport } from './entities/account-export.entity';
import { ExportLinks } from './export-links';
import { ExportsService } from './exports.service';

/**
 * A built export's last step: marked ready with its storage key, and its signed link mailed, in one transaction; or,
 * after its last attempt, marked failed.
 */
@Injectable()
export class ExportDelivery {
  constructor(
    private readonly em: EntityManager,
    private readonly exports: ExportsService,
    private readonly links: ExportLinks,
    private readonly mail: MailService,
    private readonly users: UsersService,
  ) {}

  async ready(exportId: string, key: string): Promise<void> {
    await this.em.fork().transactional(async (em: EntityManager) => {
      const done = await em.findOneOrFail(AccountExport, { id: exportId });
      done.status = 'ready';
      done.storageKey = key;
      done.finishedAt = new Date();
      const user = await this.users.getActive(done.user.id);
      this.mail.request(em, {
        to: user.email,
        toVerified: user.emailVerified,
        template: 'export-ready',
        values: { name: user.displayName ?? user.username },
        link: this.links.url(done.id, this.exports.expiresAt(done)!),
      });
    });
  }

  /** Only a pending export fails: one that became ready meanwhile (an earlier delivery committed) stays ready. */
  async failed(em: EntityManager, exportId: string): Promise<void> {
    await em.nativeUpdate(AccountExport, { id: exportId, status: 'pending' }, { status: 'failed', finishedAt: new Date() });
  }
}
