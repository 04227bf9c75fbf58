import { Body, Controller, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { MediaIdParam, UpdateMediaDto, UploadMediaDto } from './dto/media.dto';
import { MediaResponse } from './dto/media.response';
import { MediaUploadService } from './media-upload.service';
import { MediaService } from './media.service';

@ApiTags('media')
@ApiBearerAuth()
@Controller('media')
export class MediaController {
  constructor(
    private readonly media: MediaService,
    private readonly uploads: MediaUploadService,
  ) {}

  @Post()
  @HttpCode(202)
  @RateLimit('mediaUpload')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadMediaDto })
  @ApiAcceptedResponse({
    type: MediaResponse,
    description: 'Stored and queued: `processing` until the worker marks it `ready` (or `failed`). 413 too large, 415 not an allowed type',
  })
  upload(@CurrentUser() actor: AuthUser, @Req() request: FastifyRequest) {
    return this.uploads.upload(actor, request);
  }

  @Get(':id')
  @ApiOkResponse({ type: MediaResponse, description: 'Own media only, to poll the status' })
  @ApiNotFoundResponse({ description: 'No such media, or not yours' })
  get(@CurrentUser() actor: AuthUser, @Param() { id }: MediaIdParam) {
    return this.media.getOwn(actor, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: MediaResponse })
  update(@CurrentUser() actor: AuthUser, @Param() { id }: MediaIdParam, @Body() dto: UpdateMediaDto) {
    return this.media.updateOwn(actor, id, dto);
  }
}
