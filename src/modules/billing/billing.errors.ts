import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const BillingErrors = {
  notConfigured: () => new AppException(ErrorCode.ServiceUnavailable, 'Payments are not configured on this server'),
  badSignature: () => new AppException(ErrorCode.ValidationFailed, 'The Stripe-Signature header is missing, invalid or too old'),
  selfSubscription: () => AppException.unprocessable('You cannot subscribe to yourself', 'username'),
  noPrice: () => AppException.unprocessable('This creator does not take subscriptions', 'username'),
  alreadySubscribed: () => new AppException(ErrorCode.Conflict, 'You already have a subscription to this creator'),
  notSubscribed: () => AppException.notFound('You have no running subscription to this creator'),
  blocked: () => new AppException(ErrorCode.Forbidden, 'A block stands between you and this user'),
  ownPost: () => AppException.unprocessable('You cannot buy your own post', 'id'),
  notForSale: () => AppException.unprocessable('This post has no price', 'id'),
  alreadyUnlocked: () => new AppException(ErrorCode.Conflict, 'You already unlocked this post'),
  ownMessage: () => AppException.unprocessable('You cannot buy your own message', 'id'),
  messageNotForSale: () => AppException.unprocessable('This message has no price', 'id'),
  messageAlreadyUnlocked: () => new AppException(ErrorCode.Conflict, 'You already unlocked this message'),
  ownTip: () => AppException.unprocessable('You cannot tip yourself', 'id'),
  declined: (reason?: string) => new AppException(ErrorCode.PaymentRequired, reason ?? 'The payment was declined'),
  rejected: (action: string) => AppException.unprocessable(`Stripe refused to ${action}`),
  idempotencyMismatch: () => new AppException(ErrorCode.Conflict, 'This Idempotency-Key was already used at Stripe for a different request'),
  stripeUnavailable: () => new AppException(ErrorCode.ServiceUnavailable, 'Stripe cannot be reached; retry later'),
  stripeFailed: (action: string) => new AppException(ErrorCode.BadGateway, `Stripe failed to ${action}; retry later`),
};
