import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';
const KEY_BYTES = 32;
/** 96-bit IVs are GCM's native size; a fresh random one per message. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A ciphertext that is malformed, was altered, or was encrypted with another key. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`the encryption key must be ${KEY_BYTES} bytes (got ${key.length})`);
}

function fromBase64(part: string | undefined): Buffer | undefined {
  return part !== undefined && BASE64.test(part) ? Buffer.from(part, 'base64') : undefined;
}

/**
 * AES-256-GCM: `v1:<iv b64>:<tag b64>:<ciphertext b64>`. The version prefix leaves room for another scheme or key
 * later without guessing what a stored value is.
 */
export function encrypt(plain: string, key: Buffer): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
}

/** The plain text of `encrypt`'s output; `DecryptionError` when it is malformed, altered or under another key. */
export function decrypt(payload: string, key: Buffer): string {
  assertKey(key);
  const [version, ...parts] = payload.split(':');
  const [iv, tag, ciphertext] = parts.map(fromBase64);
  if (version !== VERSION || parts.length !== 3 || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !ciphertext) {
    throw new DecryptionError('not a v1 ciphertext');
  }
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptionError('the ciphertext was altered or encrypted with another key');
  }
}
