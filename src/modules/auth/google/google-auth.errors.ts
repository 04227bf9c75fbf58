import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

export const GoogleAuthErrors = {
  notConfigured: () =>
    new AppException(ErrorCode.ServiceUnavailable, 'Google sign-in is not configured on this server (GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET are unset)'),
  redirectNotAllowed: () =>
    AppException.unprocessable('redirect_uri must start with one of the allowed prefixes (OAUTH_REDIRECT_ALLOWLIST)', 'redirect_uri'),
  malformedQuery: (field: string) =>
    new AppException(ErrorCode.ValidationFailed, `${field} must be a single string`, { errors: [{ field, message: 'must be a single string' }] }),
  unexpectedCode: () => AppException.unprocessable('code is only accepted by /auth/google/callback', 'code'),
  /** Unknown, expired, forged or already used `state`; also a callback without a code. */
  invalidState: () => new AppException(ErrorCode.Unauthorized, 'This sign-in attempt is unknown, expired or already used; start again'),
  refused: () => new AppException(ErrorCode.Unauthorized, 'Google did not grant the sign-in (cancelled or refused); start again'),
  /** The authorization code was rejected by Google's token endpoint (expired or used). */
  codeRejected: () => new AppException(ErrorCode.Unauthorized, 'Google rejected the authorization code (expired or already used); start again'),
  upstream: () => new AppException(ErrorCode.BadGateway, 'Google could not complete the sign-in; try again later'),
  noEmail: () => AppException.unprocessable('Google did not share an email address; allow access to it and try again'),
  /** Never take over an account on an email Google has not verified. */
  unverifiedEmail: () =>
    new AppException(
      ErrorCode.Conflict,
      'An account already uses this email, and Google has not verified that the email is yours: sign in with your password instead',
      { errors: [{ field: 'email', message: 'already taken; not verified by Google' }] },
    ),
  badChallenge: (detail: string) => AppException.unprocessable(detail, 'code_challenge'),
  /** Pre-hijack guard: the account with this email never proved it owns the address, so Google may not open it. */
  unverifiedLocalEmail: () =>
    new AppException(
      ErrorCode.Conflict,
      'An account already uses this email but has not verified it, so it cannot be linked to Google: sign in with its password and verify the email, or reset its password by mail',
      { errors: [{ field: 'email', message: 'already taken by an account whose email is not verified' }] },
    ),
  invalidCode: () => new AppException(ErrorCode.Unauthorized, 'The sign-in code is unknown, expired or already used'),
};
