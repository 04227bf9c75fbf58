import { AccountDeletion } from '@/modules/accounts/entities/account-deletion.entity';
import { AccountExport } from '@/modules/accounts/entities/account-export.entity';
import { AccountToken } from '@/modules/accounts/entities/account-token.entity';
import { IdempotencyKey } from '@/common/idempotency/idempotency-key.entity';
import { OutboxEvent } from '@/common/outbox/outbox-event.entity';
import { AuditEntry } from '@/modules/audit/entities/audit-entry.entity';
import { OutboxReceipt } from '@/common/outbox/outbox-receipt.entity';
import { Session } from '@/modules/auth/entities/session.entity';
import { UserOAuthIdentity } from '@/modules/auth/entities/user-oauth-identity.entity';
import { EarningsEntry } from '@/modules/billing/entities/earnings-entry.entity';
import { EarningsMonth } from '@/modules/billing/entities/earnings-month.entity';
import { CheckoutSession } from '@/modules/billing/entities/checkout-session.entity';
import { ReferralShare } from '@/modules/billing/entities/referral-share.entity';
import { BillingProfile } from '@/modules/billing/entities/billing-profile.entity';
import { PayoutAccount } from '@/modules/billing/entities/payout-account.entity';
import { PostUnlock } from '@/modules/billing/entities/post-unlock.entity';
import { MessageUnlock } from '@/modules/billing/entities/message-unlock.entity';
import { Tip } from '@/modules/billing/entities/tip.entity';
import { Gift } from '@/modules/billing/entities/gift.entity';
import { Tier } from '@/modules/billing/entities/tier.entity';
import { CreatorBundle } from '@/modules/billing/entities/creator-bundle.entity';
import { TierBundlePrice } from '@/modules/billing/entities/tier-bundle-price.entity';
import { Offer } from '@/modules/billing/entities/offer.entity';
import { OfferRedemption } from '@/modules/billing/entities/offer-redemption.entity';
import { SubscriptionRevenue } from '@/modules/billing/entities/subscription-revenue.entity';
import { StripeEvent } from '@/modules/billing/entities/stripe-event.entity';
import { Subscription } from '@/modules/billing/entities/subscription.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { ConversationMember } from '@/modules/messages/entities/conversation-member.entity';
import { Conversation } from '@/modules/messages/entities/conversation.entity';
import { MassMessage } from '@/modules/messages/entities/mass-message.entity';
import { Message } from '@/modules/messages/entities/message.entity';
import { WelcomeMessage, WelcomeMessageSend } from '@/modules/messages/entities/welcome-message.entity';
import { Notification } from '@/modules/notifications/entities/notification.entity';
import { Hashtag } from '@/modules/posts/entities/hashtag.entity';
import { Like } from '@/modules/posts/entities/like.entity';
import { PostHashtag } from '@/modules/posts/entities/post-hashtag.entity';
import { Post } from '@/modules/posts/entities/post.entity';
import { Referral } from '@/modules/referrals/entities/referral.entity';
import { Report } from '@/modules/reports/entities/report.entity';
import { ReferralCode } from '@/modules/referrals/entities/referral-code.entity';
import { Block } from '@/modules/social/entities/block.entity';
import { Follow } from '@/modules/social/entities/follow.entity';
import { Mute } from '@/modules/social/entities/mute.entity';
import { ListMember } from '@/modules/lists/entities/list-member.entity';
import { List } from '@/modules/lists/entities/list.entity';
import { User } from '@/modules/users/entities/user.entity';
import { HashtagStat } from '@/modules/search/entities/hashtag-stat.entity';
import { TrendingTag } from '@/modules/search/entities/trending-tag.entity';

/** Every entity of the data model; the schema they describe is created by the migrations under `migrations/`. */
export const ENTITIES = [
  User,
  Post,
  Like,
  Hashtag,
  PostHashtag,
  Follow,
  Block,
  Mute,
  Notification,
  Media,
  Conversation,
  ConversationMember,
  Message,
  MassMessage,
  WelcomeMessage,
  WelcomeMessageSend,
  Subscription,
  PostUnlock,
  MessageUnlock,
  Tip,
  Gift,
  Tier,
  CreatorBundle,
  TierBundlePrice,
  Offer,
  OfferRedemption,
  StripeEvent,
  EarningsEntry,
  EarningsMonth,
  SubscriptionRevenue,
  PayoutAccount,
  CheckoutSession,
  ReferralShare,
  BillingProfile,
  Session,
  UserOAuthIdentity,
  ReferralCode,
  Referral,
  OutboxEvent,
  OutboxReceipt,
  IdempotencyKey,
  Report,
  AuditEntry,
  HashtagStat,
  TrendingTag,
  AccountToken,
  AccountDeletion,
  AccountExport,
  List,
  ListMember,
];
