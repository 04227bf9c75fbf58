import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * A fan's redemption of an offer (docs/billing.md#offers): one per offer and fan, reserved by a checkout until
 * `reservedUntil` (after Stripe's session expiry); released then unless the fan's subscription carries the offer.
 */
@Entity({ tableName: 'offer_redemptions' })
@Index({ name: 'offer_redemptions_offer_id_reserved_until_index', properties: ['offerId', 'reservedUntil'] })
export class OfferRedemption {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  offerId: string;

  @PrimaryKey({ type: 'uuid' })
  subscriberId: string;

  @Property({ type: 'datetime', columnType: 'timestamptz' })
  reservedUntil: Date;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
