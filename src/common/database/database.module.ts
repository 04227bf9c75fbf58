import { DynamicModule, Global, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '../config/app-config';
import { buildOrmOptions } from './orm-options';

@Global()
@Module({})
export class DatabaseModule {
  /** `url` is resolved before the app is built: `DATABASE_URL`, or the embedded PostgreSQL's. */
  static forRoot(config: AppConfig, url: string): DynamicModule {
    return {
      module: DatabaseModule,
      // No Nest middleware for the request context: `createHttpApp` opens it in a Fastify hook (see there).
      imports: [MikroOrmModule.forRoot({ ...buildOrmOptions(config, url), registerRequestContext: false })],
    };
  }
}
