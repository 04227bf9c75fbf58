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

/**
 * A locked premium post's media: what it is and how many, nothing more. Alt text often transcribes what the buyer pays
 * for; a blurhash, size or dimensions describe it too.
 */
export class LockedMediaResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['image', 'video'] }) type: string;
}

/** Media as a post shows it: in full, or reduced for a viewer the post is locked for. */
export type PostMediaResponse = MediaResponse | LockedMediaResponse;

/** What a response is built from: an entity, or a row read without one (`PostMediaRow`). */
export type MediaFields = Pick<Media, 'id' | 'type' | 'status' | 'width' | 'height' | 'size' | 'mimeType' | 'altText' | 'blurhash' | 'createdAt'>;

export function toLockedMediaResponse(media: Pick<Media, 'id' | 'type'>): LockedMediaResponse {
  return { id: media.id, type: media.type };
}

/** `urls` null: the viewer may not fetch the bytes (still processing). */
export function toMediaResponse(media: MediaFields, urls: { url: string | null; previewUrl: string | null } | null): MediaResponse {
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
