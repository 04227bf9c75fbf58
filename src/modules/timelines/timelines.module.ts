import { Module } from '@nestjs/common';
import { PostsModule } from '@/modules/posts/posts.module';
import { SocialModule } from '@/modules/social/social.module';
import { UsersModule } from '@/modules/users/users.module';
import { FeedsService } from './feeds.service';
import { TimelinePages } from './timeline-pages';
import { TimelinesController } from './timelines.controller';

/** Home, public, tag and author timelines: the page queries here, the rendering and the access rule in posts. */
@Module({
  imports: [PostsModule, UsersModule, SocialModule],
  controllers: [TimelinesController],
  providers: [FeedsService, TimelinePages],
})
export class TimelinesModule {}
