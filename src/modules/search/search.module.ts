import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { PostsModule } from '@/modules/posts/posts.module';
import { UsersModule } from '@/modules/users/users.module';
import { DiscoveryRefreshService } from './discovery-refresh.service';
import { DiscoveryService } from './discovery.service';
import { DiscoveryProcessor } from './discovery.processor';
import { DiscoveryRepository } from './repositories/discovery.repository';
import { SearchRepository } from './repositories/search.repository';
import { SearchController } from './search.controller';
import { SearchService } from './search.service';

/**
 * Search and discovery (docs/search.md): `GET /search`, `GET /tags/trending`, `GET /users/suggestions`, and the
 * discovery job. Routes where the API runs, the job where workers run (`APP_ROLE`), as `MediaModule.forRoot`.
 */
@Module({})
export class SearchModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SearchModule,
      imports: [PostsModule, UsersModule],
      controllers: config.runsApi ? [SearchController] : [],
      providers: [
        SearchRepository,
        DiscoveryRepository,
        ...(config.runsApi ? [SearchService, DiscoveryService] : []),
        ...(config.runsWorkers ? [DiscoveryRefreshService, DiscoveryProcessor] : []),
      ],
    };
  }
}
