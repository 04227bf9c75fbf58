import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { AppException } from '@/common/errors/app.exception';
import { SessionsService } from '@/modules/auth/sessions.service';
import { OwnUserResponse, toOwnUserResponse } from '@/modules/users/dto/user.response';
import { UserRole } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';

/** Account moderation. Every change that narrows access takes effect on the next request, not at token expiry. */
@Injectable()
export class AdminService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  private find(username: string) {
    return this.users.getByUsername(username);
  }

  async verify(username: string): Promise<OwnUserResponse> {
    const user = await this.find(username);
    await this.users.moderate(user, { verified: true });
    return toOwnUserResponse(user);
  }

  async suspend(actor: AuthUser, username: string): Promise<OwnUserResponse> {
    const user = await this.find(username);
    if (user.id === actor.id) throw AppException.unprocessable('Admins cannot suspend themselves', 'username');
    await this.users.moderate(user, { suspendedAt: user.suspendedAt ?? new Date() });
    await this.sessions.revokeAllForUser(user.id, 'suspended');
    return toOwnUserResponse(user);
  }

  async unsuspend(username: string): Promise<OwnUserResponse> {
    const user = await this.find(username);
    await this.users.moderate(user, { suspendedAt: null });
    return toOwnUserResponse(user);
  }

  async changeRole(actor: AuthUser, username: string, role: UserRole): Promise<OwnUserResponse> {
    const user = await this.find(username);
    if (user.id === actor.id && role !== 'admin') throw AppException.unprocessable('Admins cannot demote themselves', 'role');
    await this.users.moderate(user, { role });
    await this.sessions.forgetUser(user.id);
    return toOwnUserResponse(user);
  }
}
