import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { ReferralCode } from './entities/referral-code.entity';
import { Referral } from './entities/referral.entity';
import { ReferralsController } from './referrals.controller';
import { ReferralsAccountDataService } from './referrals-account-data.service';
import { ReferralsService } from './referrals.service';

@Module({
  imports: [MikroOrmModule.forFeature([ReferralCode, Referral])],
  controllers: [ReferralsController],
  providers: [ReferralsService, ReferralsAccountDataService],
  exports: [ReferralsService],
})
export class ReferralsModule {}
