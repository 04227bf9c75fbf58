import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { MediaFilesService } from './media-files.service';

const FILE = { type: 'string', format: 'binary' } as const;

@ApiTags('media')
@Controller('media/files')
export class MediaFilesController {
  constructor(private readonly files: MediaFilesService) {}

  @Public()
  @Get('*')
  // Swagger names Fastify's `*` wildcard `{path}`.
  @ApiParam({ name: 'path', type: String, description: 'the storage key, as in a media URL (slashes included)' })
  @ApiQuery({ name: 'exp', type: String, required: false, description: 'signed URLs: expiry (unix seconds)' })
  @ApiQuery({ name: 'sig', type: String, required: false, description: 'signed URLs: HMAC-SHA256 signature (hex)' })
  @ApiProduces('image/*', 'video/*', 'application/octet-stream')
  @ApiOkResponse({ schema: FILE, description: 'The bytes (`Range` and `If-None-Match` are honoured)' })
  @ApiResponse({ status: 206, schema: FILE, description: 'The requested range of the bytes' })
  @ApiResponse({ status: 304, description: 'Not modified (`If-None-Match`)' })
  @ApiProblems([416, 'The range is outside the file (`validation_failed`), with `Content-Range: bytes */<size>`'])
  @ApiForbiddenResponse({ description: 'A signed URL that is invalid or expired' })
  @ApiNotFoundResponse({ description: 'No such file, or a protected file without a signature' })
  async file(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = request.query as Record<string, unknown>;
    const answer = await this.files.open({
      key: (request.params as Record<string, string>)['*'],
      exp: query.exp,
      sig: query.sig,
      range: request.headers.range,
      ifNoneMatch: request.headers['if-none-match'],
      ifRange: request.headers['if-range'] as string | undefined,
    });
    reply.status(answer.status).headers(answer.headers).send(answer.body);
  }
}
