import { Module } from '@nestjs/common';

/** posts: its routes and services arrive with their issues; its tables already exist (see migrations/). */
@Module({})
export class PostsModule {}
