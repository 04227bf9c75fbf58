import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { AuthService } from './auth.service';
import { PasswordChangeService } from './password-change.service';
import {
  AuthResponse,
  ChangePasswordDto,
  LoginDto,
  LogoutDto,
  RefreshDto,
  RegisterDto,
  SessionListResponse,
  TokenPairResponse,
} from './dto/auth.dto';
import { ClientInfo } from './sessions.service';

export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' ? userAgent : undefined, ip: request.ip };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly passwords: PasswordChangeService,
  ) {}

  @Public()
  @Post('register')
  @RateLimit('registerIp')
  @ApiCreatedResponse({ type: AuthResponse })
  @ApiConflictResponse({ description: 'Username or email taken (`conflict`)' })
  @ApiProblems([422, 'The referral code is unknown, expired or used up (`validation_failed`)'])
  @ApiTooManyRequestsResponse({ description: '`rate_limited`, with Retry-After' })
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest) {
    return this.auth.register(dto, clientInfo(request));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @RateLimit('loginIp', 'loginAccount')
  @ApiOkResponse({ type: AuthResponse })
  @ApiUnauthorizedResponse({ description: 'Bad credentials: the same answer for an unknown user and a wrong password' })
  @ApiProblems([403, 'The account is suspended (`forbidden`)'])
  @ApiTooManyRequestsResponse({ description: '`rate_limited`, per IP and per account, with Retry-After' })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest) {
    return this.auth.login(dto, clientInfo(request));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @RateLimit('refreshSession')
  @ApiOkResponse({ type: TokenPairResponse, description: 'A new pair; the presented refresh token stops working' })
  @ApiUnauthorizedResponse({ description: 'Invalid, expired or already rotated (the session is then revoked)' })
  refresh(@Body() dto: RefreshDto, @Req() request: FastifyRequest) {
    return this.auth.refresh(dto.refresh_token, clientInfo(request));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The session is revoked; its access tokens stop working at once' })
  @ApiUnauthorizedResponse({ description: 'Neither a valid access token nor a refresh token of the caller (`unauthorized`)' })
  async logout(@CurrentUser() actor: AuthUser | undefined, @Body() dto: LogoutDto) {
    await this.auth.logout(actor, dto);
  }

  @Get('sessions')
  @ApiBearerAuth()
  @ApiOkResponse({ type: SessionListResponse })
  sessions(@CurrentUser() actor: AuthUser) {
    return this.auth.listSessions(actor);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse()
  async revokeSession(@CurrentUser() actor: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    await this.auth.revokeSession(actor, id);
  }

  @Post('password')
  @HttpCode(204)
  @ApiBearerAuth()
  @RateLimit('loginAccount')
  @ApiNoContentResponse({ description: 'Every other session is revoked, and every link mailed to the account (reset, email change) stops working' })
  @ApiProblems([422, 'The current password is wrong (`validation_failed`)'])
  @ApiTooManyRequestsResponse({ description: '`rate_limited`: each attempt counts in the login budget of the account (`RATE_LIMIT_LOGIN_ACCOUNT`), with Retry-After' })
  async changePassword(@CurrentUser() actor: AuthUser, @Body() dto: ChangePasswordDto) {
    await this.passwords.change(actor, dto);
  }
}
