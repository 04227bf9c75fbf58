import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  return Number.isNaN(number) ? value : number;
};
const isSet = (_: object, value: unknown) => value !== undefined && value !== '';
const URL_OPTS = { require_tld: false, require_protocol: true };
/** "count/window", e.g. "20/5m": twenty hits per five minutes. */
export const RATE_LIMIT_PATTERN = /^\d+\/\d+[smhd]?$/;

/**
 * Every environment variable the service reads, as strings straight from the environment.
 * Validation happens once at start-up; `loadConfig` turns this into the typed `AppConfig`.
 */
export class EnvSchema {
  @IsIn(['development', 'production', 'test']) NODE_ENV = 'development';
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsIn(['all', 'api', 'worker']) APP_ROLE = 'all';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @IsString() DATA_DIR = './.data';

  @ValidateIf(isSet) @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' }) DATABASE_URL?: string;
  @IsOptional() @IsString() DATABASE_REPLICA_URLS?: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(500) DATABASE_POOL_MAX = 10;
  @Transform(toInt) @IsInt() @Min(0) DATABASE_STATEMENT_TIMEOUT_MS = 15000;
  @Transform(toInt) @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT = 54329;

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' }) REDIS_URL = 'redis://127.0.0.1:6379';
  @IsOptional() @IsString() REDIS_CLUSTER_NODES?: string;
  @Matches(/^[A-Za-z0-9:_{}.-]{1,64}$/, { message: 'must be 1-64 of [A-Za-z0-9:_{}.-]' }) REDIS_PREFIX = 'x18';

  @ValidateIf(isSet) @MinLength(32, { message: 'must be at least 32 characters' }) JWT_SECRET?: string;
  @Matches(/^\d+[smhd]?$/, { message: 'must be a duration like 900, 15m, 12h or 30d' }) JWT_ACCESS_TTL = '15m';
  @Matches(/^\d+[smhd]?$/, { message: 'must be a duration like 900, 15m, 12h or 30d' }) JWT_REFRESH_TTL = '30d';
  @ValidateIf(isSet) @Matches(/^[0-9a-fA-F]{64}$/, { message: 'must be 64 hex characters (32 bytes)' }) ENCRYPTION_KEY?: string;
  /** In-process session cache (docs/architecture.md#accounts-and-sessions): short, so a lost revocation matters briefly. */
  @Transform(toInt) @IsInt() @Min(0) @Max(60_000) SESSION_CACHE_TTL_MS = 5000;
  @Transform(toInt) @IsInt() @Min(0) @Max(1_000_000) SESSION_CACHE_MAX = 10_000;

  @ValidateIf(isSet) @Matches(/^[A-Za-z0-9_]{3,30}$/, { message: 'must be 3-30 of [A-Za-z0-9_]' }) ADMIN_USERNAME?: string;
  @ValidateIf(isSet) @IsEmail() ADMIN_EMAIL?: string;
  @ValidateIf(isSet) @MinLength(10) ADMIN_PASSWORD?: string;

  @IsOptional() @IsString() STRIPE_SECRET_KEY?: string;
  @IsOptional() @IsString() STRIPE_WEBHOOK_SECRET?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) STRIPE_API_BASE?: string;
  /** The Connect endpoint's signing secret: events of connected accounts come from a second webhook endpoint. */
  @IsOptional() @IsString() STRIPE_CONNECT_WEBHOOK_SECRET?: string;
  /** The platform's share of each payment routed to a creator, in percent with at most two decimals (docs/payouts.md). */
  @Matches(/^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$/, { message: 'must be a percentage from 0 to 100 with at most two decimals' })
  PLATFORM_FEE_PERCENT = '10';
  /** The referrer's share of the platform's fee on a referred creator's payments, in percent (docs/billing.md#referral-rewards). */
  @Matches(/^(100(\.0{1,2})?|\d{1,2}(\.\d{1,2})?)$/, { message: 'must be a percentage from 0 to 100 with at most two decimals' })
  REFERRAL_SHARE_PERCENT = '10';
  /** `true`: prices and checkouts need the creator's Stripe account with charges enabled; `false`: the platform collects. */
  @IsIn(['true', 'false']) CONNECT_REQUIRED = 'true';
  @ValidateIf(isSet) @IsUrl(URL_OPTS) CONNECT_RETURN_URL?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) CONNECT_REFRESH_URL?: string;

  @ValidateIf(isSet) @IsUrl(URL_OPTS) PUBLIC_URL?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) CHECKOUT_SUCCESS_URL?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) CHECKOUT_CANCEL_URL?: string;

  @IsOptional() @IsString() GOOGLE_CLIENT_ID?: string;
  @IsOptional() @IsString() GOOGLE_CLIENT_SECRET?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) GOOGLE_CALLBACK_URL?: string;
  @IsUrl(URL_OPTS) GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
  @IsUrl(URL_OPTS) GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
  @IsUrl(URL_OPTS) GOOGLE_USERINFO_URL = 'https://openidconnect.googleapis.com/v1/userinfo';
  @IsOptional() @IsString() OAUTH_REDIRECT_ALLOWLIST?: string;

  @IsOptional() @IsString() MEDIA_DIR?: string;
  @ValidateIf(isSet) @IsUrl(URL_OPTS) S3_ENDPOINT?: string;
  @IsOptional() @IsString() S3_BUCKET?: string;
  @IsString() S3_REGION = 'us-east-1';
  @IsOptional() @IsString() S3_ACCESS_KEY_ID?: string;
  @IsOptional() @IsString() S3_SECRET_ACCESS_KEY?: string;
  @Transform(toInt) @IsInt() @Min(1) MEDIA_URL_TTL = 3600;
  @Transform(toInt) @IsInt() @Min(1024) @Max(2_000_000_000) MEDIA_MAX_IMAGE_BYTES = 10 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(1024) @Max(2_000_000_000) MEDIA_MAX_VIDEO_BYTES = 100 * 1024 * 1024;
  @Transform(toInt) @IsInt() @Min(0) PAST_DUE_GRACE_DAYS = 3;

  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_LOGIN_ACCOUNT = '20/5m';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_LOGIN_IP = '100/5m';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_REGISTER_IP = '500/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_REFRESH_SESSION = '60/5m';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_MEDIA_UPLOAD = '30/30m';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_POST_CREATE = '300/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_EMAIL = '5/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_PASSWORD_RESET = '5/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_REPORT = '20/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_GIFT_REDEEM = '10/1h';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_MESSAGE = '60/1m';
  @Matches(RATE_LIMIT_PATTERN) RATE_LIMIT_OFFER_LOOKUP = '30/1m';

  @ValidateIf(isSet) @Matches(/^smtps?:\/\/.+/, { message: 'must be an smtp:// or smtps:// URL' }) SMTP_URL?: string;
  @IsString() @MinLength(3) MAIL_FROM = 'X18 <no-reply@localhost>';
  @ValidateIf(isSet) @IsUrl(URL_OPTS) APP_URL?: string;

  @Transform(toInt) @IsInt() @Min(1024) BODY_LIMIT_BYTES = 1_048_576;
  @Transform(toInt) @IsInt() @Min(0) SHUTDOWN_TIMEOUT_MS = 25000;
  /** An outbox event without every subscriber's receipt this long after it was sent is sent again (docs/events.md). */
  @Matches(/^[1-9]\d*[smh]?$/, { message: 'must be a positive duration like 90, 5m or 1h' }) OUTBOX_RESEND_AFTER = '5m';
  /** Recipients written per fan-out transaction of a mass message (docs/inbox.md#mass-messages). */
  @Transform(toInt) @IsInt() @Min(1) @Max(50_000) MASS_MESSAGE_BATCH_SIZE = 5000;
  /** Fan-out lanes of a mass message: recipients split by a hash of their id, each lane's batches in their own transactions, at once. */
  @Transform(toInt) @IsInt() @Min(1) @Max(8) MASS_MESSAGE_LANES = 2;
  /** How long one fan-out job writes batches before it hands the rest to a continuation event. */
  @Matches(/^[1-9]\d*[smh]?$/, { message: 'must be a positive duration like 90, 5m or 1h' }) MASS_MESSAGE_JOB_BUDGET = '20s';
  /** How often workers look for scheduled mass messages whose time has come. */
  @Matches(/^[1-9]\d*[smh]?$/, { message: 'must be a positive duration like 90, 5m or 1h' }) MASS_MESSAGE_SWEEP_EVERY = '5s';
  @ValidateIf(isSet) @MinLength(16, { message: 'must be at least 16 characters' }) METRICS_TOKEN?: string;
  /** Hop count, or comma-separated proxy addresses/CIDRs whose `X-Forwarded-For` is believed (checked in loadConfig). */
  @IsOptional() @IsString() TRUST_PROXY?: string;
}

/** Variables that hold secrets: never logged, never defaulted in production. */
export const SECRET_VARIABLES = ['JWT_SECRET', 'ENCRYPTION_KEY'] as const;

/** Variables whose values are never echoed in an error line: secrets, and URLs that may carry credentials. */
export const SENSITIVE_VARIABLES: readonly string[] = [
  ...SECRET_VARIABLES,
  'DATABASE_URL',
  'DATABASE_REPLICA_URLS',
  'REDIS_URL',
  'ADMIN_PASSWORD',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_CONNECT_WEBHOOK_SECRET',
  'GOOGLE_CLIENT_SECRET',
  'S3_SECRET_ACCESS_KEY',
  'METRICS_TOKEN',
  'SMTP_URL',
];
