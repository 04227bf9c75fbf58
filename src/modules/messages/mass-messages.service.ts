import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { column } from '@/common/database/sql-fragment';
import { AppException } from '@/common/errors/app.exception';
import { OutboxService } from '@/common/outbox/outbox.service';
import { messageSoldSql } from '@/modules/entitlements/entitlement-queries';
import { MediaService } from '@/modules/media/media.service';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { User } from '@/modules/users/entities/user.entity';
import { SendMassMessageDto } from './dto/mass-messages.dto';
import { MassAudience, MassMessage } from './entities/mass-message.entity';
import { MassAudienceService } from './mass-audience.service';
import { MassMessagesRepository } from './mass-messages.repository';
import { MessageViewsService } from './message-views.service';
import { MessagesErrors } from './messages.errors';

/** Unsends copies in statements of this many rows. */
const UNSEND_BATCH = 5000;

/**
 * Sending and unsending mass messages (docs/inbox.md#mass-messages). A send records the mass message and, unless it is
 * scheduled, its `mass_message.send` event in one transaction; the fan-out is the worker's
 * (`MassMessageFanOutSubscriber`), a scheduled one is claimed by `MassMessageScheduler` when its time comes.
 */
@Injectable()
export class MassMessagesService {
  constructor(
    private readonly massMessages: MassMessagesRepository,
    private readonly audience: MassAudienceService,
    private readonly views: MessageViewsService,
    private readonly media: MediaService,
    private readonly outbox: OutboxService,
    private readonly payouts: PayoutAccountsService,
  ) {}

  /** Records a mass message (and its send, unless scheduled); answers its id. */
  async send(actor: AuthUser, dto: SendMassMessageDto): Promise<string> {
    const content = dto.content ?? '';
    if (!content.trim() && !dto.media_ids?.length) throw MessagesErrors.empty();
    const scheduledAt = dto.scheduled_at ?? null;
    if (scheduledAt && scheduledAt.getTime() <= Date.now()) throw AppException.unprocessable('scheduled_at must be in the future', 'scheduled_at');
    const audience: MassAudience = { include: normalize(dto.audience.include), exclude: normalize(dto.audience.exclude ?? []) };
    await this.audience.check(actor.id, audience);
    // A price is money someone will pay: as for messages, with CONNECT_REQUIRED=true only to a creator Stripe can pay out to.
    if (dto.price_cents !== undefined) await this.payouts.assertCanSell(actor.id);
    const currency = await this.massMessages.currencyOf(actor.id);

    return this.massMessages
      .getEntityManager()
      .fork()
      .transactional(async (em) => {
        const mass = em.create(MassMessage, {
          sender: em.getReference(User, actor.id),
          content: content || null,
          contentHtml: content ? this.views.html(content) : null,
          priceCents: dto.price_cents ?? null,
          currency,
          preview: dto.preview ?? null,
          audience,
          status: scheduledAt ? 'scheduled' : 'sending',
          scheduledAt,
          createdAt: new Date(),
        });
        // Shared by every copy: attached once, to the mass message's id (docs/inbox.md#mass-messages).
        await this.media.attachToMessage(em, actor.id, mass.id, dto.media_ids ?? []);
        await em.flush();
        if (!scheduledAt) this.outbox.record(em, 'mass_message.send', { massMessageId: mass.id, senderId: actor.id });
        await em.flush();
        return mass.id;
      });
  }

  /**
   * `DELETE /messages/mass/:id`: a scheduled one is canceled; a sending or sent one stops and every copy nobody bought
   * is unsent (buyers keep theirs, as with `DELETE /messages/:id`). 404 unless it is the caller's.
   */
  async cancel(actor: AuthUser, id: string): Promise<void> {
    if (!(await this.massMessages.cancel(actor.id, id, messageSoldSql(column('m.id')), UNSEND_BATCH))) throw massMessageNotFound();
  }

  /** Copies of a mass message to the recipients of `lane` in (`after`, `last`]: the live delivery of one fan-out batch. */
  copiesBetween(massMessageId: string, lane: number, lanes: number, after: string | null, last: string): Promise<{ id: string; recipient_id: string }[]> {
    return this.massMessages.copiesBetween(massMessageId, lane, lanes, after, last);
  }
}

/** Segments as stored: lower case, each once. */
const normalize = (segments: string[]) => [...new Set(segments.map((s) => s.toLowerCase()))];

export const massMessageNotFound = () => AppException.notFound('No such mass message');
