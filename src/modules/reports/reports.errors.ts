import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const ReportsErrors = {
  oneTarget: () => AppException.unprocessable('Give exactly one of post_id, message_id and username', 'post_id'),
  self: () => AppException.unprocessable('You cannot report yourself or your own posts', 'username'),
  notFound: () => AppException.notFound('No such report'),
  alreadyResolved: () => new AppException(ErrorCode.Conflict, 'This report is already resolved'),
  noPost: () => AppException.unprocessable('remove_post needs a report on a post', 'action'),
};
