import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const AccountsErrors = {
  /** Unknown, used, expired or voided by a newer one: the same answer for each. */
  invalidToken: () => new AppException(ErrorCode.InvalidToken, 'This link is unknown, already used or expired; ask for a new one'),
  alreadyVerified: () => new AppException(ErrorCode.Conflict, 'Your email address is already verified'),
  wrongPassword: () =>
    new AppException(ErrorCode.ValidationFailed, 'The current password is wrong', {
      status: 422,
      errors: [{ field: 'current_password', message: 'is wrong' }],
    }),
  passwordTooShort: () => AppException.unprocessable('new_password must be 10 to 128 characters', 'new_password'),
  sameEmail: () => AppException.unprocessable('new_email is already your email address', 'new_email'),
  wrongUsername: () =>
    new AppException(ErrorCode.ValidationFailed, 'confirm_username does not match your username', {
      status: 422,
      errors: [{ field: 'confirm_username', message: 'does not match' }],
    }),
  confirmationMissing: (field: 'current_password' | 'confirm_username') =>
    new AppException(ErrorCode.ValidationFailed, `${field} is required to delete this account`, {
      status: 422,
      errors: [{ field, message: 'is required' }],
    }),
  exportPending: () => new AppException(ErrorCode.Conflict, 'An export is already being prepared; wait for its mail'),
  exportTooSoon: (retryAfterSeconds: number) =>
    new AppException(ErrorCode.RateLimited, 'One export per day: try again later', { headers: { 'Retry-After': String(retryAfterSeconds) } }),
  exportNotFound: () => AppException.notFound('No such export'),
  exportPasswordMissing: () =>
    new AppException(ErrorCode.ValidationFailed, 'current_password is required to export this account', {
      status: 422,
      errors: [{ field: 'current_password', message: 'is required' }],
    }),
  /** An account without a password proves it is its owner by a fresh sign-in instead. */
  recentSignInRequired: (minutes: number) =>
    new AppException(ErrorCode.Forbidden, `Sign in again (within the last ${minutes} minutes) to export this account`),
};
