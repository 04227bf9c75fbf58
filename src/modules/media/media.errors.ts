import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const MediaErrors = {
  notFound: () => AppException.notFound('No such media'),
  unsupportedType: () => new AppException(ErrorCode.UnsupportedMediaType, 'Upload a JPEG, PNG, WebP or GIF image, or an MP4 or WebM video'),
  tooLarge: (limit: number) => new AppException(ErrorCode.PayloadTooLarge, `The file is larger than ${limit} bytes`),
  interrupted: () => new AppException(ErrorCode.ValidationFailed, 'The upload ended before the file was complete'),
  notMultipart: () => new AppException(ErrorCode.UnsupportedMediaType, 'Send the file as multipart/form-data'),
  invalidField: (field: string, message: string) =>
    new AppException(ErrorCode.ValidationFailed, `${field} ${message}`, { errors: [{ field, message }] }),
  badSignature: () => new AppException(ErrorCode.Forbidden, 'The media URL is invalid or has expired'),
  rangeNotSatisfiable: (size: number) =>
    new AppException(ErrorCode.ValidationFailed, 'The requested range is outside the file', {
      status: 416,
      headers: { 'Content-Range': `bytes */${size}` },
    }),
};

/** An input the processor can never turn into media (corrupt, truncated, too many pixels): no retry. */
export class UnprocessableMedia extends Error {
  override name = 'UnprocessableMedia';
}
