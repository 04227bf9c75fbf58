import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

/** Offers' problems (docs/billing.md#offers). */
export const OfferErrors = {
  codeTaken: () => new AppException(ErrorCode.Conflict, 'You already have an offer with this code'),
  notFound: () => AppException.notFound('No such offer of yours'),
  tooMany: (max: number) => AppException.unprocessable(`A creator has at most ${max} offers (delete one first)`, 'code'),
  field: (field: string, message: string) => AppException.unprocessable(message, field),
  /** `POST /users/:username/subscription` with an offer that cannot be used. */
  invalid: (why: string) => AppException.unprocessable(`This offer cannot be used: ${why}`, 'offer_code'),
};
