import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { OwnUserResponse } from '@/modules/users/dto/user.response';
import { AcceptedResponse, ChangeEmailDto, ForgotPasswordDto, ResetPasswordDto, TokenDto } from './dto/accounts.dto';
import { EmailVerificationService } from './email-verification.service';
import { PasswordResetService } from './password-reset.service';

const ACCEPTED: AcceptedResponse = { status: 'accepted', message: 'If an account uses this address, a link to reset its password is on its way' };

@ApiTags('auth')
@Controller()
export class EmailAndPasswordController {
  constructor(
    private readonly email: EmailVerificationService,
    private readonly reset: PasswordResetService,
  ) {}

  @Public()
  @Post('auth/email/verify')
  @HttpCode(200)
  @RateLimit('passwordResetIp')
  @ApiOkResponse({ type: OwnUserResponse, description: 'The own user, `email_verified: true` (with the new `email` for a change)' })
  @ApiBadRequestResponse({ description: '`invalid_token`: unknown, used or expired (24 h)' })
  @ApiConflictResponse({ description: 'The new address was taken meanwhile' })
  verify(@Body() dto: TokenDto) {
    return this.email.verify(dto.token);
  }

  @Post('auth/email/resend')
  @HttpCode(202)
  @ApiBearerAuth()
  @RateLimit('email')
  @ApiAcceptedResponse({ type: AcceptedResponse, description: 'A fresh verification mail; earlier links stop working' })
  @ApiConflictResponse({ description: 'Already verified' })
  @ApiTooManyRequestsResponse({ description: '`RATE_LIMIT_EMAIL` per user (5 per hour)' })
  async resend(@CurrentUser() actor: AuthUser) {
    await this.email.resend(actor);
    return { status: 'accepted', message: 'A new verification link is on its way' };
  }

  @Public()
  @Post('auth/password/forgot')
  @HttpCode(202)
  @RateLimit('passwordReset', 'passwordResetIp')
  @ApiAcceptedResponse({ type: AcceptedResponse, description: 'The same answer, in about the same time, whether the account exists or not' })
  @ApiTooManyRequestsResponse({ description: 'Per address (`RATE_LIMIT_PASSWORD_RESET`) and per IP (as login)' })
  async forgot(@Body() dto: ForgotPasswordDto): Promise<AcceptedResponse> {
    await this.reset.forgot(dto.email);
    return ACCEPTED;
  }

  @Public()
  @Post('auth/password/reset')
  @HttpCode(204)
  @RateLimit('passwordResetIp')
  @ApiNoContentResponse({ description: 'Every session of the user is revoked at once' })
  @ApiBadRequestResponse({ description: '`invalid_token`: unknown, used or expired (1 h)' })
  @ApiUnprocessableEntityResponse({ description: 'new_password shorter than 10 characters' })
  async resetPassword(@Body() dto: ResetPasswordDto) {
    await this.reset.reset(dto);
  }

  @Post('me/email')
  @HttpCode(202)
  @ApiBearerAuth()
  @RateLimit('email', 'loginAccount')
  @ApiAcceptedResponse({ type: AcceptedResponse, description: 'A verification mail to the new address and a notice to the old one' })
  @ApiConflictResponse({ description: 'The address is taken' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong current_password, or the address is already yours' })
  @ApiTooManyRequestsResponse({ description: '`RATE_LIMIT_EMAIL` per user; each attempt also counts in the login budget of the account (`RATE_LIMIT_LOGIN_ACCOUNT`)' })
  async changeEmail(@CurrentUser() actor: AuthUser, @Body() dto: ChangeEmailDto) {
    await this.email.change(actor, dto);
    return { status: 'accepted', message: 'Open the link mailed to the new address to finish the change' };
  }
}
