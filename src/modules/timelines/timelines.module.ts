import { Module } from '@nestjs/common';

/** timelines: its routes and services arrive with their issues; its tables already exist (see migrations/). */
@Module({})
export class TimelinesModule {}
