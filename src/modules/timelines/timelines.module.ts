import { Module } from '@nestjs/common';
import { PostsModule } from '@/modules/posts/posts.module';
import { TimelinesController } from './timelines.controller';

/** The timeline routes; the feeds themselves are computed by the posts module's FeedsService. */
@Module({ imports: [PostsModule], controllers: [TimelinesController] })
export class TimelinesModule {}
