import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { User } from './entities/user.entity';
import { FirstAdminService } from './first-admin.service';
import { ProfileService } from './profile.service';
import { UserAccountsService } from './user-accounts.service';
import { UserCountersService } from './user-counters.service';
import { UserLifecycleService } from './user-lifecycle.service';
import { UserModerationService } from './user-moderation.service';
import { UsersAccountDataService } from './users-account-data.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Accounts: what other features use (UsersService for look-ups, and the users table's other services by concern). Imported as is by those modules; the
 * app imports `UsersModule.forRoot(...)`, which adds the `/me` routes and binds the ports they need.
 */
@Module({
  imports: [MikroOrmModule.forFeature([User])],
  providers: [
    UsersService,
    UserAccountsService,
    UserLifecycleService,
    UserModerationService,
    UserCountersService,
    FirstAdminService,
    UsersAccountDataService,
  ],
  exports: [UsersService, UserAccountsService, UserLifecycleService, UserModerationService, UserCountersService, FirstAdminService],
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
