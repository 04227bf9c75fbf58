import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { MassMessageResponse } from './dto/mass-messages.dto';
import { MassMessageRow, MassMessagesRepository } from './mass-messages.repository';
import { massMessageNotFound } from './mass-messages.service';

/**
 * A sender's mass messages with their figures (docs/inbox.md#mass-messages#figures): the counters kept by the
 * fan-out (`recipients_count`, `sent_count`), the copies read (one aggregate), and what was bought (billing's
 * purchases, through entitlements).
 */
@Injectable()
export class MassMessageReadsService {
  constructor(
    private readonly massMessages: MassMessagesRepository,
    private readonly entitlements: EntitlementsService,
  ) {}

  async page(actor: AuthUser, query: PageQuery): Promise<Page<MassMessageResponse>> {
    const rows = await this.massMessages.page(actor.id, decodeCursor(query.cursor), query.limit + 1);
    const page = toPage(rows, query.limit, (r) => ({ at: r.created_at, id: r.id }), (r) => r);
    return { data: await this.present(page.data), next_cursor: page.next_cursor };
  }

  /** The caller's mass message; 404 for anyone else's, as for a missing one. */
  async get(actor: AuthUser, id: string): Promise<MassMessageResponse> {
    const row = await this.massMessages.findOwn(actor.id, id);
    if (!row) throw massMessageNotFound();
    const [answer] = await this.present([row]);
    return answer;
  }

  private async present(rows: MassMessageRow[]): Promise<MassMessageResponse[]> {
    const ids = rows.map((r) => r.id);
    const [read, sales] = ids.length
      ? await Promise.all([this.massMessages.readCounts(ids), this.entitlements.messageSales(this.massMessages.copiesSql(ids))])
      : [new Map<string, number>(), new Map<string, { unlocked: number; revenueCents: number }>()];
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      recipients_count: r.recipients_count,
      sent_count: r.sent_count,
      read_count: read.get(r.id) ?? 0,
      unlocked_count: sales.get(r.id)?.unlocked ?? 0,
      revenue_cents: sales.get(r.id)?.revenueCents ?? 0,
      scheduled_at: r.scheduled_at ? r.scheduled_at.toISOString() : null,
      created_at: r.created_at.toISOString(),
    }));
  }
}
