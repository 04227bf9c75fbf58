import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { IdParam } from '@/common/http/id.param';
import { PageQuery } from '@/common/http/pagination';
import { IdempotencyInterceptor } from '@/common/idempotency/idempotency.interceptor';
import { ApiProblems, ProblemEntry } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { CheckoutResponse, SubscriptionPageResponse, SubscriptionResponse } from './dto/billing.dto';
import { TipDto } from './dto/tip.dto';
import { ChangeTierDto, SubscribeDto } from './dto/tier.dto';
import { SubscriptionsService } from './subscriptions.service';
import { TipsService } from './tips.service';
import { GiftsService } from './gifts.service';
import { UnlocksService } from './unlocks.service';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'A repeat within 24 h answers the first response; also sent to Stripe (scoped to the caller)',
};

/** What a call to Stripe can answer, on each route that makes one. */
const STRIPE_PROBLEMS: ProblemEntry[] = [
  [402, 'Stripe declined the payment (`payment_required`)'],
  [422, 'Stripe refused the request (`validation_failed`)'],
  [502, 'Stripe failed (`bad_gateway`); retry later'],
  [503, 'Payments are not configured on this server, or Stripe cannot be reached (`service_unavailable`)'],
];

@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class BillingController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly unlocks: UnlocksService,
    private readonly tips: TipsService,
    private readonly gifts: GiftsService,
  ) {}

  @Post('users/:username/subscription')
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CheckoutResponse, description: "Stripe Checkout (subscription mode) at the creator's current price" })
  @ApiConflictResponse({ description: 'Already subscribed' })
  @ApiUnprocessableEntityResponse({
    description: 'The creator takes no subscriptions, or is yourself; an unknown or archived tier (field `tier_id`), no yearly price (field `interval`); or (field `payouts`, CONNECT_REQUIRED=true) their payout account cannot take payments; or Stripe refused the request',
  })
  @ApiProblems([403, 'A block stands between you and this creator (`forbidden`)'], ...STRIPE_PROBLEMS)
  subscribe(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam, @Body() dto: SubscribeDto, @Headers('idempotency-key') key?: string) {
    return this.subscriptions.subscribe(actor, username, dto, key);
  }

  @Patch('users/:username/subscription')
  @ApiOkResponse({
    type: SubscriptionResponse,
    description: "Moved to the tier's price with proration; `tier` is what Stripe confirms (docs/billing.md#changing-tier)",
  })
  @ApiNotFoundResponse({ description: 'No such creator, or no running subscription to them' })
  @ApiUnprocessableEntityResponse({
    description: 'Not one of the creator\'s tiers, an archived tier, no yearly price (field `interval`), or the tier and interval you already have',
  })
  @ApiProblems(...STRIPE_PROBLEMS)
  changeTier(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam, @Body() dto: ChangeTierDto) {
    return this.subscriptions.changeTier(actor, username, dto);
  }

  @Delete('users/:username/subscription')
  @ApiOkResponse({ type: SubscriptionResponse, description: 'Cancelled at the period end; access lasts until current_period_end' })
  @ApiNotFoundResponse({ description: 'No such creator, or no running subscription to them' })
  @ApiProblems(...STRIPE_PROBLEMS)
  cancel(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.subscriptions.cancel(actor, username);
  }

  @Get('me/subscriptions')
  @ApiOkResponse({
    type: SubscriptionPageResponse,
    description: 'Creators I subscribe or subscribed to, newest first; the first page starts with my running gifts (`gift: true`, `current_period_end` = the end of the grant)',
  })
  async mine(@CurrentUser() actor: AuthUser, @Query() query: PageQuery) {
    const page = await this.subscriptions.list(actor, 'subscriber', query);
    return query.cursor ? page : { ...page, data: [...(await this.gifts.asSubscriptions(actor)), ...page.data] };
  }

  @Get('me/subscribers')
  @ApiOkResponse({ type: SubscriptionPageResponse, description: 'Who subscribes or subscribed to me, newest first' })
  subscribers(@CurrentUser() actor: AuthUser, @Query() query: PageQuery) {
    return this.subscriptions.list(actor, 'creator', query);
  }

  @Post('posts/:id/unlock')
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CheckoutResponse, description: 'Stripe Checkout (payment mode) for the post price' })
  @ApiNotFoundResponse({ description: 'No such post, or not visible to you' })
  @ApiConflictResponse({ description: 'Already unlocked' })
  @ApiUnprocessableEntityResponse({
    description: 'Your own post, or a post without a price; or (field `payouts`, CONNECT_REQUIRED=true) its author cannot take payments; or Stripe refused the request',
  })
  @ApiProblems(...STRIPE_PROBLEMS)
  unlock(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Headers('idempotency-key') key?: string) {
    return this.unlocks.start(actor, id, key);
  }

  @Post('messages/:id/unlock')
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CheckoutResponse, description: "Stripe Checkout (payment mode) for the paid message's price; the recipient only" })
  @ApiNotFoundResponse({ description: 'No such message, not yours, or unsent' })
  @ApiConflictResponse({ description: 'Already unlocked' })
  @ApiUnprocessableEntityResponse({
    description: 'Your own message, or a message without a price; or (field `payouts`, CONNECT_REQUIRED=true) its sender cannot take payments; or Stripe refused the request',
  })
  @ApiProblems(...STRIPE_PROBLEMS)
  unlockMessage(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Headers('idempotency-key') key?: string) {
    return this.unlocks.startMessage(actor, id, key);
  }

  @Post('posts/:id/tip')
  @UseInterceptors(IdempotencyInterceptor)
  @RateLimit('message')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({
    type: CheckoutResponse,
    description: "Stripe Checkout (payment mode, `metadata.tip_for` = `post:<id>`) for a tip to the post's author; once paid, a `tip` notification, a message with `tip_cents` in your conversation, a ledger entry",
  })
  @ApiNotFoundResponse({ description: 'No such post, or not visible to you (a locked post you may see can be tipped)' })
  @ApiUnprocessableEntityResponse({
    description: 'Your own post; or (field `payouts`, CONNECT_REQUIRED=true) its author cannot take payments; or Stripe refused the request',
  })
  @ApiProblems([403, 'A block either way, or a suspended or deleted author (`forbidden`), as for a message'], ...STRIPE_PROBLEMS)
  tipPost(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Body() dto: TipDto, @Headers('idempotency-key') key?: string) {
    return this.tips.onPost(actor, id, dto, key);
  }

  @Post('conversations/:id/tip')
  @UseInterceptors(IdempotencyInterceptor)
  @RateLimit('message')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({
    type: CheckoutResponse,
    description: 'Stripe Checkout (payment mode, `metadata.tip_for` = `conversation:<id>`) for a tip to the other participant; once paid, a `tip` notification, a message with `tip_cents` here, a ledger entry',
  })
  @ApiNotFoundResponse({ description: 'No such conversation, or not yours' })
  @ApiUnprocessableEntityResponse({
    description: '(field `payouts`, CONNECT_REQUIRED=true) the other participant cannot take payments; or Stripe refused the request',
  })
  @ApiProblems([403, 'A block either way, or a suspended or deleted account (`forbidden`), as for a message'], ...STRIPE_PROBLEMS)
  tipConversation(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Body() dto: TipDto, @Headers('idempotency-key') key?: string) {
    return this.tips.inConversation(actor, id, dto, key);
  }
}
