import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const UsersErrors = {
  notFound: () => AppException.notFound('No such user'),
  taken: (field: 'username' | 'email') =>
    new AppException(ErrorCode.Conflict, `That ${field} is already taken`, { errors: [{ field, message: 'already taken' }] }),
  mediaNotUsable: (field: string) => AppException.unprocessable('The media must be your own, ready image', field),
};
