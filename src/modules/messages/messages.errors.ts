import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const MessagesErrors = {
  /** A conversation or message that is not the caller's answers exactly like a missing one. */
  conversationNotFound: () => AppException.notFound('No such conversation'),
  messageNotFound: () => AppException.notFound('No such message'),
  self: () => AppException.unprocessable('You cannot start a conversation with yourself', 'username'),
  /** A block either way, a dm_policy that excludes the sender, or a suspended or deleted account. */
  mayNotWrite: () => new AppException(ErrorCode.Forbidden, 'You cannot send messages to this account'),
  empty: () => AppException.unprocessable('A message needs content or media', 'content'),
  notRequest: () => AppException.unprocessable('This conversation is not a request', 'id'),
};
