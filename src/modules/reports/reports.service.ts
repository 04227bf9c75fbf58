import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { Post } from '@/modules/posts/entities/post.entity';
import { Message } from '@/modules/messages/entities/message.entity';
import { MessagesService } from '@/modules/messages/messages.service';
import { CreateReportDto, ReportCreatedResponse } from './dto/reports.dto';
import { Report } from './entities/report.entity';
import { ReportsErrors } from './reports.errors';
import { ReportsRepository } from './reports.repository';

/** Filing reports. One open report per reporter and target: a repeat answers the report already open. */
@Injectable()
export class ReportsService {
  constructor(
    private readonly em: EntityManager,
    private readonly reports: ReportsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly users: UsersService,
    private readonly messages: MessagesService,
  ) {}

  /** `created` false: the reporter already had this target reported, and that report is answered. */
  async create(actor: AuthUser, dto: CreateReportDto): Promise<{ report: ReportCreatedResponse; created: boolean }> {
    const target = await this.target(actor, dto);
    if (target.userId === actor.id) throw ReportsErrors.self();
    const open = await this.reports.findOpen(actor.id, target.userId, target.postId, target.messageId);
    if (open) return { report: toCreated(open), created: false };
    try {
      const report = await this.em.fork().transactional(async (em: EntityManager) => {
        const created = em.create(Report, {
          reporter: em.getReference(User, actor.id),
          targetUser: em.getReference(User, target.userId),
          targetPost: target.postId ? em.getReference(Post, target.postId) : null,
          targetMessage: target.messageId ? em.getReference(Message, target.messageId) : null,
          reason: dto.reason,
          comment: dto.comment?.trim() || null,
        });
        await em.flush();
        return created;
      });
      return { report: toCreated(report), created: true };
    } catch (error) {
      // Two identical reports racing: the partial unique index keeps one, and both answer it.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const raced = await this.reports.findOpen(actor.id, target.userId, target.postId, target.messageId);
      if (!raced) throw error;
      return { report: toCreated(raced), created: false };
    }
  }

  /** A post the reporter can see (else 404, as for any invisible post), or an active account. */
  private async target(actor: AuthUser, dto: CreateReportDto): Promise<{ userId: string; postId: string | null; messageId: string | null }> {
    // `null` counts as absent (the validator lets an optional null through).
    if ([dto.post_id, dto.username, dto.message_id].filter((v) => v != null).length !== 1) throw ReportsErrors.oneTarget();
    if (dto.post_id) {
      const [{ row }] = await this.policy.requireVisible(actor, [dto.post_id]);
      return { userId: row.user_id, postId: row.id, messageId: null };
    }
    if (dto.message_id) {
      // Only its two participants know the message exists: anyone else gets the 404 of a missing one.
      const senderId = await this.messages.senderFor(actor, dto.message_id);
      return { userId: senderId, postId: null, messageId: dto.message_id };
    }
    const user = await this.users.getActiveByUsername(dto.username!);
    return { userId: user.id, postId: null, messageId: null };
  }
}

function toCreated(report: Report): ReportCreatedResponse {
  return { id: report.id, status: report.status, reason: report.reason, created_at: report.createdAt.toISOString() };
}
