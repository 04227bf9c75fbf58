import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const AuthErrors = {
  /** The same answer for an unknown account and a wrong password. */
  invalidCredentials: () => new AppException(ErrorCode.Unauthorized, 'Wrong username, email or password'),
  suspended: () => new AppException(ErrorCode.Forbidden, 'This account is suspended'),
  invalidRefreshToken: () => new AppException(ErrorCode.Unauthorized, 'The refresh token is invalid, expired or revoked'),
  wrongCurrentPassword: () =>
    new AppException(ErrorCode.ValidationFailed, 'The current password is wrong', {
      status: 422,
      errors: [{ field: 'current_password', message: 'is wrong' }],
    }),
  sessionNotFound: () => AppException.notFound('No such session'),
};
