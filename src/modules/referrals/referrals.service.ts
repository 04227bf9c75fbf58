import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { toUserSummary } from '@/modules/users/dto/user.response';
import { User } from '@/modules/users/entities/user.entity';
import {
  CreateReferralCodeDto,
  ReferralCodeCheckResponse,
  ReferralCodeListResponse,
  ReferralCodeResponse,
  ReferralResponse,
} from './dto/referrals.dto';
import { ReferralCode } from './entities/referral-code.entity';
import { Referral } from './entities/referral.entity';
import { InvalidReason, ReferralsErrors } from './referrals.errors';
import { ReferralCodesRepository } from './repositories/referral-codes.repository';
import { ReferralsRepository } from './repositories/referrals.repository';

/** Unambiguous characters (no 0/O, 1/I/L) for generated codes. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function generateCode(): string {
  return Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

export function toReferralCodeResponse(code: ReferralCode): ReferralCodeResponse {
  return {
    code: code.code,
    uses_count: code.usesCount,
    max_uses: code.maxUses ?? null,
    expires_at: code.expiresAt?.toISOString() ?? null,
    created_at: code.createdAt.toISOString(),
  };
}

export function invalidReason(code: ReferralCode | null, now = new Date()): InvalidReason | undefined {
  if (!code || code.deletedAt) return 'not_found';
  if (code.expiresAt && code.expiresAt <= now) return 'expired';
  if (code.maxUses != null && code.usesCount >= code.maxUses) return 'exhausted';
  return undefined;
}

@Injectable()
export class ReferralsService {
  constructor(
    private readonly codes: ReferralCodesRepository,
    private readonly referrals: ReferralsRepository,
  ) {}

  async create(actor: AuthUser, dto: CreateReferralCodeDto): Promise<ReferralCodeResponse> {
    if (dto.expires_at && dto.expires_at <= new Date()) throw ReferralsErrors.expiryInPast();
    const em = this.codes.getEntityManager().fork();
    for (let attempt = 0; ; attempt++) {
      const code = em.create(ReferralCode, {
        user: em.getReference(User, actor.id),
        code: dto.code ?? generateCode(),
        maxUses: dto.max_uses ?? null,
        expiresAt: dto.expires_at ?? null,
      });
      try {
        await em.flush();
        return toReferralCodeResponse(code);
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) throw error;
        em.clear();
        // A chosen code is simply taken; a generated one collided (rare): draw again.
        if (dto.code || attempt >= 3) throw ReferralsErrors.codeTaken();
      }
    }
  }

  async listOwn(actor: AuthUser): Promise<ReferralCodeListResponse> {
    const codes = await this.codes.find({ user: actor.id, deletedAt: null }, { orderBy: { createdAt: 'desc', id: 'desc' } });
    return { data: codes.map(toReferralCodeResponse) };
  }

  async check(code: string): Promise<ReferralCodeCheckResponse> {
    const reason = invalidReason(await this.codes.findOne({ code }));
    return reason ? { code, valid: false, reason } : { code, valid: true };
  }

  async remove(actor: AuthUser, code: string): Promise<void> {
    const removed = await this.codes.softDeleteOwn(actor.id, code);
    if (!removed) throw ReferralsErrors.notFound();
  }

  /**
   * Takes one use of `code` for `referred`, inside the registration's transaction. One conditional
   * `UPDATE … RETURNING` claims the use, so parallel registrations never pass `max_uses`; a rollback returns it.
   */
  async redeem(em: EntityManager, code: string, referred: User): Promise<void> {
    const claimed = await this.codes.claimUse(em, code);
    if (!claimed) throw ReferralsErrors.unusable(invalidReason(await em.findOne(ReferralCode, { code })) ?? 'exhausted');
    em.create(Referral, {
      referralCode: em.getReference(ReferralCode, claimed.id),
      referrer: em.getReference(User, claimed.userId),
      referredUser: referred,
    });
    await em.flush();
  }

  /** Who referred `referredId` (they registered with one of that user's codes), or null. In the caller's transaction. */
  async referrerOf(em: EntityManager, referredId: string): Promise<string | null> {
    const [row] = await em.execute<{ referrer_id: string }[]>('select referrer_id from referrals where referred_user_id = ?', [referredId]);
    return row?.referrer_id ?? null;
  }

  /**
   * A payment of `referredId` at `at`: the referral's reward window starts at the earliest payment seen (docs/billing.md#referral-rewards).
   * Locks the referral row until the caller's transaction ends; null when nobody referred them.
   */
  async openRewards(em: EntityManager, referredId: string, at: Date): Promise<{ referrerId: string; rewardsFrom: Date } | null> {
    const [row] = await em.execute<{ referrer_id: string; rewards_from: Date }[]>(
      `update referrals set rewards_from = least(coalesce(rewards_from, ?), ?) where referred_user_id = ? returning referrer_id, rewards_from`,
      [at, at, referredId],
    );
    return row ? { referrerId: row.referrer_id, rewardsFrom: new Date(row.rewards_from) } : null;
  }

  /** Adds to what the referrer earned from `referredId` (negative for a reversal), in the caller's transaction. */
  async addEarned(em: EntityManager, referredId: string, cents: number): Promise<void> {
    if (cents === 0) return;
    await em.execute('update referrals set earned_cents = earned_cents + ? where referred_user_id = ?', [cents, referredId]);
  }

  async listReferrals(actor: AuthUser, query: PageQuery): Promise<Page<ReferralResponse>> {
    const rows = await this.referrals.pageForReferrer(actor.id, decodeCursor(query.cursor), query.limit + 1);
    return toPage(
      rows,
      query.limit,
      (r) => ({ at: r.createdAt, id: r.id }),
      (r) => ({ user: toUserSummary(r.referredUser.getEntity()), code: r.referralCode.getEntity().code, earned_cents: r.earnedCents, created_at: r.createdAt.toISOString() }),
    );
  }
}
