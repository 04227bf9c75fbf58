import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const SocialErrors = {
  self: (action: string) => AppException.unprocessable(`You cannot ${action} yourself`, 'username'),
  blocked: () => new AppException(ErrorCode.Forbidden, 'A block stands between you and this user'),
};
