import sharp, { Sharp } from 'sharp';
import { encode } from 'blurhash';
import { UnprocessableMedia } from './media.errors';

export const PREVIEW_MAX_SIDE = 640;
/** Decompression bombs: a small file that decodes to gigapixels is refused before decoding. */
const MAX_INPUT_PIXELS = 100_000_000;

export interface ProcessedImage {
  data: Buffer;
  width: number;
  height: number;
  /** WebP, at most 640 px on its longer side (first frame of an animation). */
  preview: Buffer;
  blurhash: string;
}

/** Re-encodes in the same format; sharp writes no metadata unless asked, so EXIF, GPS, XMP and ICC are all dropped. */
function encodeAs(image: Sharp, mimeType: string): Sharp {
  switch (mimeType) {
    case 'image/jpeg':
      return image.jpeg({ quality: 85, mozjpeg: true });
    case 'image/png':
      return image.png({ compressionLevel: 9 });
    case 'image/webp':
      return image.webp({ quality: 85 });
    case 'image/gif':
      return image.gif();
    default:
      throw new UnprocessableMedia(`not an image type: ${mimeType}`);
  }
}

/** WebP, at most 640 px on its longer side, of the first frame: image previews and video posters. */
export function previewOf(image: Buffer): Promise<Buffer> {
  return sharp(image, { pages: 1, limitInputPixels: MAX_INPUT_PIXELS })
    .resize({ width: PREVIEW_MAX_SIDE, height: PREVIEW_MAX_SIDE, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
}

async function blurhashOf(image: Buffer): Promise<string> {
  const { data, info } = await sharp(image, { pages: 1 }).resize(32, 32, { fit: 'inside' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const [x, y] = info.width >= info.height ? [4, 3] : [3, 4];
  return encode(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), info.width, info.height, x, y);
}

/**
 * The stored image, its preview and blurhash, from the uploaded bytes. The EXIF orientation is applied to the pixels
 * before the metadata goes. GIFs keep their animation. Any decoding problem (corrupt, truncated, too many pixels)
 * is `UnprocessableMedia`: trying again would fail the same way.
 */
export async function processImage(input: Buffer, mimeType: string): Promise<ProcessedImage> {
  const animated = mimeType === 'image/gif';
  try {
    // 'error' (which includes 'truncated') refuses broken pixel data but not the harmless warnings many phone JPEGs raise.
    const source = sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS, animated, autoOrient: !animated });
    const { data, info } = await encodeAs(source, mimeType).toBuffer({ resolveWithObject: true });
    const preview = await previewOf(data);
    return { data, width: info.width, height: info.pageHeight ?? info.height, preview, blurhash: await blurhashOf(data) };
  } catch (error) {
    if (error instanceof UnprocessableMedia) throw error;
    throw new UnprocessableMedia(`the image could not be decoded: ${(error as Error).message}`);
  }
}
