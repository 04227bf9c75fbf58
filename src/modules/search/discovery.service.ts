import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { PublicUserResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { TrendingResponse } from './dto/search.dto';
import { DiscoveryRepository } from './repositories/discovery.repository';

/** Trending hashtags (read from the table the discovery job writes) and who to follow. */
@Injectable()
export class DiscoveryService {
  constructor(
    private readonly discovery: DiscoveryRepository,
    private readonly users: UsersService,
  ) {}

  async trending(limit: number): Promise<TrendingResponse> {
    return { data: await this.discovery.trending(limit) };
  }

  async suggestions(viewer: AuthUser, limit: number): Promise<{ data: PublicUserResponse[] }> {
    const ids = await this.discovery.suggestions(viewer.id, limit);
    const byId = new Map((await this.users.findActiveByIds(ids)).map((u) => [u.id, u]));
    return { data: ids.filter((id) => byId.has(id)).map((id) => toPublicUserResponse(byId.get(id)!)) };
  }
}
