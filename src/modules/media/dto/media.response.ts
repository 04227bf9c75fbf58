import { ApiProperty } from '@nestjs/swagger';
import { Media } from '../entities/media.entity';

export class MediaResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['image', 'video'] }) type: string;
  @ApiProperty({ enum: ['processing', 'ready', 'failed'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'null while processing, and on locked posts' }) url: string | null;
  @ApiProperty({ nullable: true, type: String }) preview_url: string | null;
  @ApiProperty({ nullable: true, type: Number }) width: number | null;
  @ApiProperty({ nullable: true, type: Number }) height: number | null;
  @ApiProperty({ nullable: true, type: Number }) size: number | null;
  @ApiProperty({ nullable: true, type: String }) mime_type: string | null;
  @ApiProperty({ nullable: true, type: String }) alt_text: string | null;
  @ApiProperty({ nullable: true, type: String }) blurhash: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

/** `urls` null: the viewer may not fetch the bytes (a locked premium post). */
export function toMediaResponse(media: Media, urls: { url: string | null; previewUrl: string | null } | null): MediaResponse {
  return {
    id: media.id,
    type: media.type,
    status: media.status === 'active' ? 'ready' : media.status,
    url: urls?.url ?? null,
    preview_url: urls?.previewUrl ?? null,
    width: media.width ?? null,
    height: media.height ?? null,
    size: media.size ?? null,
    mime_type: media.mimeType ?? null,
    alt_text: media.altText ?? null,
    blurhash: media.blurhash ?? null,
    created_at: media.createdAt.toISOString(),
  };
}
