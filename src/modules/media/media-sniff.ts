import { fileTypeFromBuffer } from 'file-type';
import { MediaType } from './entities/media.entity';

export interface SniffedType {
  type: MediaType;
  mimeType: string;
}

/** What may be uploaded, by the type the bytes show (never the file name or the client's Content-Type). */
const ALLOWED: Record<string, MediaType> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/webp': 'image',
  'image/gif': 'image',
  'video/mp4': 'video',
  'video/webm': 'video',
};

/** Enough bytes for every allowed format's signature (file-type's own recommended sample size). */
export const SNIFF_BYTES = 4100;

/**
 * The media type of a file from its first bytes, or null when it is not one we take. `file-type` is ESM-only:
 * Node (>= 20.19, see `engines`) loads it through require(esm); Jest compiles it (see jest.config.js).
 */
export async function sniffMediaType(head: Uint8Array): Promise<SniffedType | null> {
  const found = await fileTypeFromBuffer(head);
  const type = found && ALLOWED[found.mime];
  return type ? { type, mimeType: found.mime } : null;
}
