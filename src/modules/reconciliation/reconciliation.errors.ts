import { AppException } from '@/common/errors/app.exception';

export const ReconciliationErrors = {
  emptyRange: () => AppException.unprocessable('`to` must be after `from`', 'to'),
  rangeTooLong: (days: number) => AppException.unprocessable(`At most ${days} days apart`, 'to'),
};
