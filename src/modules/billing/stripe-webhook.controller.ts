import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@/common/auth/auth.decorators';
import { RAW_BODY, RawBodyRequest } from './stripe/raw-body.hook';
import { StripeWebhookService } from './stripe-webhook.service';

@ApiTags('billing')
@Controller('webhooks')
export class StripeWebhookController {
  constructor(private readonly webhooks: StripeWebhookService) {}

  @Public()
  @Post('stripe')
  @HttpCode(200)
  @RouteConfig(RAW_BODY)
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 'Checked on the raw body against STRIPE_WEBHOOK_SECRET or STRIPE_CONNECT_WEBHOOK_SECRET' })
  @ApiOkResponse({ description: 'Stored and queued; a worker applies it' })
  @ApiBadRequestResponse({ description: 'Missing, invalid or stale (over 5 minutes) signature; nothing stored' })
  receive(@Req() request: RawBodyRequest, @Headers('stripe-signature') signature?: string) {
    return this.webhooks.receive(request.rawBody, signature);
  }
}
