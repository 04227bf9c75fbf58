import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { RelationshipResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { MutesRepository } from './repositories/mutes.repository';
import { SocialErrors } from './social.errors';
import { SocialService } from './social.service';

/** The viewer mutes or unmutes someone (their posts and notifications stop reaching the viewer, nothing else changes). */
@Injectable()
export class MutingService {
  constructor(
    private readonly mutes: MutesRepository,
    private readonly users: UsersService,
    private readonly social: SocialService,
  ) {}

  async mute(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    if (target.id === actor.id) throw SocialErrors.self('mute');
    await this.mutes.mute(this.mutes.getEntityManager(), actor.id, target.id);
    return this.social.relationship(actor.id, target.id);
  }

  async unmute(actor: AuthUser, username: string): Promise<RelationshipResponse> {
    const target = await this.users.getActiveByUsername(username);
    await this.mutes.unmute(this.mutes.getEntityManager(), actor.id, target.id);
    return this.social.relationship(actor.id, target.id);
  }
}
