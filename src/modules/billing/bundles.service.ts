import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { BundleSetResponse, PutBundlesDto, toBundleResponse } from './dto/bundle.dto';
import { BundleResponse } from './dto/tier.dto';
import { BundlesRepository } from './repositories/bundles.repository';

/**
 * A creator's bundles (docs/billing.md#bundles): `months` (3, 6 or 12) of a tier paid at once at a discount, renewing
 * at that length. The set is replaced whole; Stripe prices are created per tier at the first checkout of a bundle
 * (`CreatorPricingService.bundlePrice`), so changing the set touches nothing at Stripe.
 */
@Injectable()
export class BundlesService {
  constructor(private readonly bundles: BundlesRepository) {}

  async replace(actor: AuthUser, dto: PutBundlesDto): Promise<BundleSetResponse> {
    await this.bundles.replace(
      actor.id,
      dto.bundles.map((b) => ({ months: b.months, discountPercent: b.discount_percent })),
    );
    return { bundles: await this.listOf(actor.id) };
  }

  async listOf(creatorId: string): Promise<BundleResponse[]> {
    return (await this.bundles.listOf(creatorId)).map(toBundleResponse);
  }
}
