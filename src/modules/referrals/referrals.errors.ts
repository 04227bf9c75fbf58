import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export type InvalidReason = 'expired' | 'exhausted' | 'not_found';

const DETAIL: Record<InvalidReason, string> = {
  expired: 'The referral code has expired',
  exhausted: 'The referral code has been used up',
  not_found: 'No such referral code',
};

export const ReferralsErrors = {
  unusable: (reason: InvalidReason) => AppException.unprocessable(DETAIL[reason], 'referral_code'),
  codeTaken: () => new AppException(ErrorCode.Conflict, 'That referral code is taken', { errors: [{ field: 'code', message: 'already taken' }] }),
  expiryInPast: () => AppException.unprocessable('expires_at must be in the future', 'expires_at'),
  notFound: () => AppException.notFound('No such referral code'),
};
