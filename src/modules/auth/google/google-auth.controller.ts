import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@/common/auth/auth.decorators';
import { AppConfig } from '@/common/config/app-config';
import { clientInfo } from '../auth.controller';
import { AuthResponse } from '../dto/auth.dto';
import { GoogleExchangeDto } from './dto/google-auth.dto';
import { bindingCookie, GOOGLE_SIGN_IN, GoogleCallbackGuard, GoogleCallbackRequest, GoogleStartGuard } from './google-auth.guards';
import { GoogleAuthService } from './google-auth.service';

const LOCATION = { Location: { description: 'The redirect target', schema: { type: 'string', format: 'uri' } } };
const NOT_CONFIGURED = { description: '`service_unavailable`: Google sign-in is not configured on this server' };

@ApiTags('auth')
@Controller('auth/google')
export class GoogleAuthController {
  constructor(
    private readonly google: GoogleAuthService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Get()
  @UseGuards(GoogleStartGuard)
  @ApiQuery({
    name: 'redirect_uri',
    type: String,
    format: 'uri',
    required: false,
    description: "For apps: where to send the one-time code at the end; must start with one of OAUTH_REDIRECT_ALLOWLIST's prefixes",
  })
  @ApiQuery({
    name: 'code_challenge',
    type: String,
    required: false,
    description: 'Apps (with `redirect_uri`): base64url SHA-256 of a random `code_verifier` that POST /auth/google/exchange must then send (PKCE, S256)',
  })
  @ApiQuery({ name: 'code_challenge_method', enum: ['S256'], required: false })
  @ApiFoundResponse({
    description:
      "To Google's consent page, with `state` (valid 10 minutes, once) and a PKCE `code_challenge` (S256). Sets an HttpOnly, " +
      'SameSite=Lax cookie binding the sign-in to this browser: the callback must arrive with it',
    headers: LOCATION,
  })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: `redirect_uri` is not on the allow-list' })
  @ApiServiceUnavailableResponse(NOT_CONFIGURED)
  start(@Res() _reply: FastifyReply): void {
    // GoogleStartGuard has already answered with the redirect.
  }

  @Public()
  @Get('callback')
  @UseGuards(GoogleCallbackGuard)
  @ApiQuery({ name: 'code', type: String, description: "Google's authorization code" })
  @ApiQuery({ name: 'state', type: String, description: 'The `state` of GET /auth/google' })
  @ApiOkResponse({ type: AuthResponse, description: 'Signed in (or registered), for a flow begun without `redirect_uri`' })
  @ApiFoundResponse({
    description: 'For a flow begun with `redirect_uri`: to `redirect_uri?code=<one-time code>` (valid 60 seconds, once) for POST /auth/google/exchange',
    headers: LOCATION,
  })
  @ApiUnauthorizedResponse({
    description: '`unauthorized`: unknown, expired or reused `state`, or a browser other than the one that started; refused or cancelled at Google',
  })
  @ApiForbiddenResponse({ description: '`forbidden`: the account is suspended' })
  @ApiConflictResponse({ description: '`conflict`: an account has this email, and Google has not verified it: not linked' })
  @ApiBadGatewayResponse({ description: '`bad_gateway`: Google failed to answer' })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`: Google did not share an email address' })
  @ApiServiceUnavailableResponse(NOT_CONFIGURED)
  async callback(@Req() request: GoogleCallbackRequest, @Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.google.complete(request[GOOGLE_SIGN_IN]!, clientInfo(request));
    // Tokens, or a code for them, in a GET answer: never cached. The binding cookie has served.
    reply.header('cache-control', 'no-store');
    reply.header('set-cookie', bindingCookie(this.config, '', 0));
    if ('redirectTo' in outcome) void reply.redirect(outcome.redirectTo, 302);
    else void reply.send(outcome.tokens);
  }

  @Public()
  @Post('exchange')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponse, description: 'The token pair; the session is opened for this client' })
  @ApiUnauthorizedResponse({ description: '`unauthorized`: unknown, expired or already used code; missing or wrong `code_verifier`' })
  @ApiForbiddenResponse({ description: '`forbidden`: the account is suspended' })
  exchange(@Body() dto: GoogleExchangeDto, @Req() request: FastifyRequest) {
    return this.google.exchange(dto.code, dto.code_verifier, clientInfo(request));
  }
}
