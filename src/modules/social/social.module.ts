import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BLOCK_CHECK, BlockCheck } from '@/modules/billing/billing.ports';
import { EntitlementsModule } from '@/modules/entitlements/entitlements.module';
import { UsersModule } from '@/modules/users/users.module';
import { Block } from './entities/block.entity';
import { Follow } from './entities/follow.entity';
import { Mute } from './entities/mute.entity';
import { MutingService } from './muting.service';
import { RelationshipsService } from './relationships.service';
import { SocialController } from './social.controller';
import { SocialAccountDataService } from './social-account-data.service';
import { SocialService } from './social.service';

@Module({
  imports: [MikroOrmModule.forFeature([Follow, Block, Mute]), UsersModule, EntitlementsModule],
  controllers: [SocialController],
  providers: [
    SocialService,
    RelationshipsService,
    MutingService,
    SocialAccountDataService,
    // Billing's port, bound by the app root (BillingModule.forRoot).
    { provide: BLOCK_CHECK, useFactory: (social: SocialService): BlockCheck => social, inject: [SocialService] },
  ],
  exports: [SocialService, BLOCK_CHECK],
})
export class SocialModule {}
