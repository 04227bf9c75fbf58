import { randomBytes } from 'node:crypto';

/** Extensions of the stored (re-encoded) files, by MIME type. */
export const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
};

/**
 * `YYYY/MM/DD/<media id>-<64 random bits>.<ext>`: the date spreads files over folders, the media id makes a
 * served key resolve by primary key, and the random part keeps keys unguessable from the ids the API shows
 * (defence in depth should a bucket ever be exposed directly).
 */
const KEY = /^(\d{4}\/\d{2}\/\d{2}\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-[0-9a-f]{16})(\.preview\.webp|\.(?:jpg|png|webp|gif|mp4|webm))$/;

export function newStorageKey(mediaId: string, mimeType: string, now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${date}/${mediaId}-${randomBytes(8).toString('hex')}.${EXTENSIONS[mimeType]}`;
}

const stem = (storageKey: string) => storageKey.replace(/\.[a-z0-9]+$/, '');

/** The poster or 640 px preview next to the file. */
export const previewKeyOf = (storageKey: string) => `${stem(storageKey)}.preview.webp`;

/** Where an image waits, as uploaded (metadata and all), until the worker has re-encoded it; never served. */
export const uploadKeyOf = (storageKey: string) => `${storageKey}.upload`;

/** The media id a served key belongs to; null for anything that is not a key this service made. */
export function mediaIdOfKey(key: string): string | null {
  return KEY.exec(key)?.[2] ?? null;
}
