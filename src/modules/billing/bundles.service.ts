import { AppException } from '@/common/errors/app.exception';
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
    // Checked here, not by the validation pipe: the document cannot say "distinct by months", so a body it calls valid
    // is refused as a request we understood (`422`), not as malformed.
    if (new Set(dto.bundles.map((b) => b.months)).size < dto.bundles.length) throw AppException.unprocessable('bundles must have distinct months', 'bundles');
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
