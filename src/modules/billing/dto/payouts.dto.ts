import { ApiProperty } from '@nestjs/swagger';
import { PayoutAccount } from '../entities/payout-account.entity';

export class OnboardingLinkResponse {
  @ApiProperty({ format: 'uri', description: "Stripe's hosted onboarding for the creator's Express account; single use" })
  url: string;

  @ApiProperty({ format: 'date-time', description: 'The link expires then (minutes); ask for a new one after' })
  expires_at: string;
}

export class PayoutAccountResponse {
  @ApiProperty({ example: 'acct_1MoRdlLgUG5tbmjc', description: 'The Stripe account' }) account_id: string;
  @ApiProperty({ description: 'Payments can be routed to it; false after the creator disconnected' }) charges_enabled: boolean;
  @ApiProperty({ description: 'Stripe pays its balance out to the creator' }) payouts_enabled: boolean;
  @ApiProperty({ description: 'The creator finished the onboarding form' }) details_submitted: boolean;
  @ApiProperty({ type: [String], description: "Stripe's `requirements.currently_due`" }) requirements_due: string[];
}

export function toPayoutAccountResponse(account: PayoutAccount): PayoutAccountResponse {
  return {
    account_id: account.stripeAccountId,
    charges_enabled: account.chargesEnabled,
    payouts_enabled: account.payoutsEnabled,
    details_submitted: account.detailsSubmitted,
    requirements_due: account.requirementsDue,
  };
}
