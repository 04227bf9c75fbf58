import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DM_POLICIES, DmPolicy, User } from '../entities/user.entity';

export class RelationshipResponse {
  @ApiProperty() following: boolean;
  @ApiProperty() followed_by: boolean;
  @ApiProperty() blocking: boolean;
  @ApiProperty({ description: 'This account blocks the viewer (its posts stay hidden from them)' }) blocked_by: boolean;
  @ApiProperty() muting: boolean;
  @ApiProperty() subscribed: boolean;
}

/** A profile as anyone sees it. */
export class PublicUserResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ nullable: true, type: String }) display_name: string | null;
  @ApiProperty({ nullable: true, type: String }) bio: string | null;
  @ApiProperty({ nullable: true, type: String }) avatar_url: string | null;
  @ApiProperty({ nullable: true, type: String }) cover_url: string | null;
  @ApiProperty() verified: boolean;
  @ApiProperty({ nullable: true, type: Number, description: 'Monthly subscription price; null: takes no subscriptions' })
  subscription_price_cents: number | null;
  @ApiProperty({ example: 'usd' }) currency: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty() followers_count: number;
  @ApiProperty() following_count: number;
  @ApiProperty() posts_count: number;
  @ApiPropertyOptional({ type: RelationshipResponse, description: 'For a signed-in viewer' })
  relationship?: RelationshipResponse;
}

/** The own view (`GET /me`, auth answers, admin answers): the public profile plus the email and the role. */
export class OwnUserResponse extends PublicUserResponse {
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ description: 'Whether the owner confirmed `email` (a verification link, or Google said so)' }) email_verified: boolean;
  /** Not on public profiles: who the admins are is nobody else's business (and a target list for guessing). */
  @ApiProperty({ enum: ['user', 'admin'] }) role: string;
  @ApiProperty({ enum: DM_POLICIES, description: 'Who may start a conversation with you (`PATCH /me`)' }) dm_policy: DmPolicy;
}

/** The compact author shown on posts and lists. */
export class UserSummaryResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ nullable: true, type: String }) display_name: string | null;
  @ApiProperty({ nullable: true, type: String }) avatar_url: string | null;
  @ApiProperty() verified: boolean;
}

/** What a profile answer is made of: a `User`, or a row read without hydrating one (`UsersRepository.findOwnProfile`). */
export type ProfileFields = Pick<
  User,
  'id' | 'username' | 'displayName' | 'bio' | 'avatarUrl' | 'coverUrl' | 'verified' | 'subscriptionPriceCents' | 'currency' | 'createdAt' | 'followersCount' | 'followingCount' | 'postsCount'
>;
export type OwnProfileFields = ProfileFields & Pick<User, 'email' | 'emailVerified' | 'role' | 'dmPolicy'>;

export function toPublicUserResponse(user: ProfileFields, relationship?: RelationshipResponse): PublicUserResponse {
  return {
    id: user.id,
    username: user.username,
    display_name: user.displayName ?? null,
    bio: user.bio ?? null,
    avatar_url: user.avatarUrl ?? null,
    cover_url: user.coverUrl ?? null,
    verified: user.verified,
    subscription_price_cents: user.subscriptionPriceCents ?? null,
    currency: user.currency,
    created_at: user.createdAt.toISOString(),
    followers_count: user.followersCount,
    following_count: user.followingCount,
    posts_count: user.postsCount,
    ...(relationship ? { relationship } : {}),
  };
}

export function toOwnUserResponse(user: OwnProfileFields): OwnUserResponse {
  return { ...toPublicUserResponse(user), email: user.email, email_verified: user.emailVerified, role: user.role, dm_policy: user.dmPolicy };
}

export function toUserSummary(user: Pick<User, 'id' | 'username' | 'displayName' | 'avatarUrl' | 'verified'>): UserSummaryResponse {
  return {
    id: user.id,
    username: user.username,
    display_name: user.displayName ?? null,
    avatar_url: user.avatarUrl ?? null,
    verified: user.verified,
  };
}
