import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { User } from './entities/user.entity';
import { FirstAdminService } from './first-admin.service';
import { ProfileService } from './profile.service';
import { UserLifecycleService } from './user-lifecycle.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Accounts: what other features use (UsersService, the one writer of `users`). Imported as is by those modules; the
 * app imports `UsersModule.forRoot(...)`, which adds the `/me` routes and binds the ports they need.
 */
@Module({
  imports: [MikroOrmModule.forFeature([User])],
  providers: [UsersService, FirstAdminService, UserLifecycleService],
  exports: [UsersService, FirstAdminService, UserLifecycleService],
})
export class UsersModule {
  /**
   * `ports`: modules exporting the tokens of users.ports.ts (`PROFILE_IMAGES` from media, `CREATOR_PRICING` from
   * billing). The app root passes them, so users imports neither module and they may import users.
   */
  static forRoot(ports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return {
      module: UsersProfileModule,
      imports: [UsersModule, ...ports],
      controllers: [UsersController],
      providers: [ProfileService],
    };
  }
}

/** The `/me` routes around `UsersModule`, kept apart so the modules importing `UsersModule` share one instance. */
@Module({})
class UsersProfileModule {}
