import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const PostsErrors = {
  notFound: () => AppException.notFound('No such post'),
  notAuthor: () => new AppException(ErrorCode.Forbidden, 'Only the author may do this'),
  emptyPost: () => AppException.unprocessable('A post needs content or media', 'content'),
  notRepostable: () => AppException.unprocessable('Only public posts can be reposted', 'id'),
  repostNotEditable: () => AppException.unprocessable('A repost has no content to edit', 'id'),
  notOwnTier: () => AppException.unprocessable('min_tier_id must be one of your non-archived tiers', 'min_tier_id'),
};
