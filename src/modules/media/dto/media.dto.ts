import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IdParam } from '@/common/http/id.param';

export class UpdateMediaDto {
  @ApiPropertyOptional({ type: String, maxLength: 1500, nullable: true, description: 'null removes the description' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(1500)
  alt_text?: string | null;
}

/** The multipart body of `POST /media`, for the OpenAPI document. */
export class UploadMediaDto {
  @ApiProperty({ type: 'string', format: 'binary', description: 'JPEG, PNG, WebP or GIF up to 10 MB; MP4 or WebM up to 100 MB' })
  file: unknown;

  @ApiPropertyOptional({ maxLength: 1500 })
  alt_text?: string;
}

export class MediaIdParam extends IdParam {}
