import { AppException, FieldError } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';
import { MAX_LISTS, MAX_MEMBERS } from './entities/list.entity';

export const ListsErrors = {
  /** Also another owner's list: lists are private, so theirs answers exactly like a missing one. */
  notFound: () => AppException.notFound('No such list'),
  tooManyLists: () => AppException.unprocessable(`At most ${MAX_LISTS} lists per account`, 'name'),
  tooManyMembers: () => AppException.unprocessable(`At most ${MAX_MEMBERS} members per list`, 'usernames'),
  /** Nothing was added: each field error names a username that cannot be (unknown, yourself, across a block). */
  cannotAdd: (errors: FieldError[]) =>
    new AppException(ErrorCode.ValidationFailed, 'Some accounts cannot be added to a list; nothing was added', { status: 422, errors }),
};
