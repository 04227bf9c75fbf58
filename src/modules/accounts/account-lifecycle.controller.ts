import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { AccountDeletionService } from './account-deletion.service';
import { AcceptedResponse, DeleteAccountDto, ExportResponse, RequestExportDto } from './dto/accounts.dto';
import { ExportsService } from './exports.service';

@ApiTags('account')
@Controller()
export class AccountLifecycleController {
  constructor(
    private readonly deletion: AccountDeletionService,
    private readonly exports: ExportsService,
  ) {}

  @Delete('me')
  @HttpCode(202)
  @ApiBearerAuth()
  @RateLimit('loginAccount')
  @ApiAcceptedResponse({ type: AcceptedResponse, description: 'Deactivated at once (sessions revoked, profile and posts 404); erased by a worker within minutes' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong or missing current_password (confirm_username for a Google-only account)' })
  @ApiTooManyRequestsResponse({ description: '`rate_limited`: each attempt counts in the login budget of the account (`RATE_LIMIT_LOGIN_ACCOUNT`), with Retry-After' })
  async deleteMe(@CurrentUser() actor: AuthUser, @Body() dto: DeleteAccountDto) {
    await this.deletion.delete(actor, dto);
    return { status: 'accepted', message: 'Your account is deleted; its data is erased within a few minutes' };
  }

  @Post('me/exports')
  @HttpCode(202)
  @ApiBearerAuth()
  // The password check is a guess like any other: it spends the account's login budget, as DELETE /me does (N3).
  @RateLimit('loginAccount')
  @ApiAcceptedResponse({ type: ExportResponse, description: 'A worker builds the ZIP and mails a download link valid 24 hours' })
  @ApiUnprocessableEntityResponse({ description: 'Wrong or missing current_password (an account with a password)' })
  @ApiForbiddenResponse({ description: 'An account without a password whose session signed in more than 10 minutes ago: sign in again' })
  @ApiConflictResponse({ description: 'An export is already pending' })
  @ApiTooManyRequestsResponse({ description: 'One export per day; or `rate_limited`: each attempt counts in the login budget of the account (`RATE_LIMIT_LOGIN_ACCOUNT`); with Retry-After' })
  requestExport(@CurrentUser() actor: AuthUser, @Body() dto: RequestExportDto) {
    return this.exports.request(actor, dto);
  }

  @Get('me/exports/:id')
  @ApiBearerAuth()
  @ApiOkResponse({ type: ExportResponse })
  @ApiNotFoundResponse({ description: 'No such export of yours' })
  getExport(@CurrentUser() actor: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.exports.get(actor, id);
  }

  @Public()
  @Get('exports/:id/archive')
  @ApiQuery({ name: 'exp', type: String, description: 'expiry (unix seconds)' })
  @ApiQuery({ name: 'sig', type: String, description: 'HMAC-SHA256 signature (hex)' })
  @ApiProduces('application/zip')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'The ZIP archive' })
  @ApiNotFoundResponse({ description: 'Unknown export, an invalid or expired link, or an owner since suspended or deleted' })
  async archive(@Param('id', new ParseUUIDPipe()) id: string, @Query('exp') exp: unknown, @Query('sig') sig: unknown, @Res() reply: FastifyReply) {
    const { body, size } = await this.exports.open(id, exp, sig);
    reply
      .status(200)
      .headers({
        'Content-Type': 'application/zip',
        'Content-Length': size,
        'Content-Disposition': `attachment; filename="export-${id}.zip"`,
        'Cache-Control': 'private, no-store',
      })
      .send(body);
  }
}
