import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Readable } from 'node:stream';
import { AuthUser } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { OutboxService } from '@/common/outbox/outbox.service';
import { verifyPassword } from '@/common/security/password';
import { MEDIA_STORAGE, MediaStorage } from '@/modules/media/storage/media-storage';
import { User } from '@/modules/users/entities/user.entity';
import { UserAccountsService } from '@/modules/users/user-accounts.service';
import { AccountsErrors } from './accounts.errors';
import { SIGN_IN_RECENCY, SignInRecency } from './accounts.ports';
import { ExportResponse, RequestExportDto } from './dto/accounts.dto';
import { AccountExport } from './entities/account-export.entity';
import { EXPORT_LINK_TTL_SECONDS, ExportLinks } from './export-links';

const DAY_MS = 86_400_000;
/** How fresh the sign-in of an account without a password must be to request an export. */
export const EXPORT_RECENT_SIGN_IN_MINUTES = 10;

/** `POST /me/exports`, `GET /me/exports/:id` and the signed download. The archive is built by ExportBuilder. */
@Injectable()
export class ExportsService {
  constructor(
    private readonly em: EntityManager,
    private readonly outbox: OutboxService,
    private readonly links: ExportLinks,
    @Inject(MEDIA_STORAGE) private readonly storage: MediaStorage,
    private readonly users: UserAccountsService,
    @Inject(SIGN_IN_RECENCY) private readonly signIns: SignInRecency,
  ) {}

  /**
   * One pending at a time (409), one a day (429); a per-user advisory lock makes two racing requests queue one export.
   * The archive holds everything the account has, so a session alone (a stolen token) does not get it: the password,
   * or for an account without one a sign-in of the last minutes.
   */
  async request(actor: AuthUser, dto: RequestExportDto): Promise<ExportResponse> {
    await this.confirmOwner(actor, dto);
    return this.em.fork().transactional(async (em: EntityManager) => {
      await em.execute(`select pg_advisory_xact_lock(hashtext('account-export:' || ?))`, [actor.id]);
      const latest = await em.findOne(AccountExport, { user: actor.id, status: { $ne: 'failed' } }, { orderBy: { createdAt: 'desc' } });
      if (latest?.status === 'pending') throw AccountsErrors.exportPending();
      const nextAllowed = latest ? latest.createdAt.getTime() + DAY_MS : 0;
      if (nextAllowed > Date.now()) throw AccountsErrors.exportTooSoon(Math.ceil((nextAllowed - Date.now()) / 1000));
      const row = em.create(AccountExport, { user: em.getReference(User, actor.id) });
      await em.flush();
      this.outbox.record(em, 'export.requested', { exportId: row.id, userId: actor.id });
      return this.toResponse(row);
    });
  }

  private async confirmOwner(actor: AuthUser, dto: RequestExportDto): Promise<void> {
    const user = await this.users.getWithPassword(actor.id);
    if (user.passwordHash) {
      if (dto.current_password === undefined) throw AccountsErrors.exportPasswordMissing();
      if (!(await verifyPassword(user.passwordHash, dto.current_password))) throw AccountsErrors.wrongPassword();
      return;
    }
    const signedInAt = await this.signIns.signedInAt(actor.id, actor.sessionId);
    if (!signedInAt || Date.now() - signedInAt.getTime() > EXPORT_RECENT_SIGN_IN_MINUTES * 60_000) {
      throw AccountsErrors.recentSignInRequired(EXPORT_RECENT_SIGN_IN_MINUTES);
    }
  }

  async get(actor: AuthUser, id: string): Promise<ExportResponse> {
    const row = await this.em.fork().findOne(AccountExport, { id, user: actor.id });
    if (!row) throw AccountsErrors.exportNotFound();
    return this.toResponse(row);
  }

  /**
   * The archive, for a valid unexpired signature of an export whose owner is still active; anything else is 404 (a
   * forged link learns nothing). A link mailed before a suspension or deletion dies with the account, not a day later.
   */
  async open(id: string, exp: unknown, sig: unknown): Promise<{ body: Readable; size: number }> {
    if (!this.links.valid(id, exp, sig)) throw AppException.notFound('No such export, or the link expired');
    const row = await this.em.fork().findOne(AccountExport, { id, status: 'ready' });
    // A deleted account is suspended too: either way its links are dead.
    const owner = row ? await this.users.findById(row.user.id) : undefined;
    const ownerActive = !!owner && !owner.suspendedAt;
    const stored = ownerActive && row?.storageKey ? await this.storage.stat(row.storageKey) : null;
    if (!row || !stored) throw AppException.notFound('No such export, or the link expired');
    return { body: await this.storage.get(row.storageKey!), size: stored.size };
  }

  expiresAt(row: AccountExport): Date | undefined {
    return row.finishedAt ? new Date(row.finishedAt.getTime() + EXPORT_LINK_TTL_SECONDS * 1000) : undefined;
  }

  private toResponse(row: AccountExport): ExportResponse {
    const expiresAt = row.status === 'ready' ? this.expiresAt(row) : undefined;
    const live = expiresAt && expiresAt.getTime() > Date.now();
    return {
      id: row.id,
      status: row.status,
      created_at: row.createdAt.toISOString(),
      ...(live ? { url: this.links.url(row.id, expiresAt), expires_at: expiresAt.toISOString() } : {}),
    };
  }
}
