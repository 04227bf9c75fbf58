import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostsModule } from '@/modules/posts/posts.module';
import { UsersModule } from '@/modules/users/users.module';
import { ListMember } from './entities/list-member.entity';
import { List } from './entities/list.entity';
import { ListTimelineService } from './list-timeline.service';
import { ListsAccountDataService } from './lists-account-data.service';
import { ListsController } from './lists.controller';
import { ListsService } from './lists.service';

/**
 * Lists (docs/lists.md): an owner's private lists of accounts, their routes, the list timeline (its page query here,
 * the rendering and the access rule in posts), and `ListsService` for the modules that use a list as a segment.
 */
@Module({
  imports: [MikroOrmModule.forFeature([List, ListMember]), PostsModule, UsersModule],
  controllers: [ListsController],
  providers: [ListsService, ListTimelineService, ListsAccountDataService],
  exports: [ListsService],
})
export class ListsModule {}
