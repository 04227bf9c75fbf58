import { RateLimitRule } from './duration';

export type AppRole = 'all' | 'api' | 'worker';

/** The validated, typed configuration. Built once by `loadConfig`, injected everywhere as `AppConfig`. */
export class AppConfig {
  env: 'development' | 'production' | 'test';
  role: AppRole;
  dataDir: string;
  logLevel: string;
  http: {
    port: number;
    host: string;
    bodyLimitBytes: number;
    shutdownTimeoutMs: number;
    publicUrl: string;
    /**
     * `TRUST_PROXY`: undefined, the peer address is the client's; a number of proxy hops, or the proxies' addresses
     * and CIDRs, whose `X-Forwarded-For` is believed (Fastify's `trustProxy`).
     */
    trustProxy?: number | string[];
  };
  database: {
    /** Undefined: the embedded PostgreSQL under `dataDir` is used. */
    url?: string;
    replicaUrls: string[];
    poolMax: number;
    statementTimeoutMs: number;
    embeddedPort: number;
  };
  redis: { url: string; clusterNodes: { host: string; port: number }[]; prefix: string };
  auth: {
    jwtSecret: string;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
    encryptionKey: Buffer;
    /** How long a validated session is trusted in-process (0: never); revocations empty it at once. */
    sessionCacheTtlMs: number;
    sessionCacheMax: number;
  };
  admin: { username?: string; email?: string; password?: string };
  stripe: {
    secretKey?: string;
    webhookSecret?: string;
    /** The Connect endpoint's secret: the webhook accepts a signature by either. */
    connectWebhookSecret?: string;
    apiBase?: string;
    successUrl: string;
    cancelUrl: string;
  };
  /** Stripe Connect (docs/payouts.md). */
  connect: {
    /** `CONNECT_REQUIRED`: prices and checkouts need a connected account with charges enabled. */
    required: boolean;
    /** `PLATFORM_FEE_PERCENT` as Stripe's `application_fee_percent` (at most two decimals). */
    feePercent: number;
    /** The same in hundredths of a percent, for integer fee arithmetic. */
    feeBasisPoints: number;
    /** `REFERRAL_SHARE_PERCENT` in hundredths of a percent: the referrer's share of the platform's fee (docs/billing.md#referral-rewards). */
    referralShareBasisPoints: number;
    returnUrl: string;
    refreshUrl: string;
  };
  google: {
    clientId?: string;
    clientSecret?: string;
    callbackUrl: string;
    authUrl: string;
    tokenUrl: string;
    userInfoUrl: string;
    redirectAllowlist: string[];
  };
  media: {
    dir: string;
    urlTtlSeconds: number;
    /** Upload limits by sniffed kind: larger files are refused with 413. */
    maxImageBytes: number;
    maxVideoBytes: number;
    s3?: { endpoint?: string; bucket: string; region: string; accessKeyId?: string; secretAccessKey?: string };
  };
  billing: { pastDueGraceDays: number };
  /** Events not handled by every subscriber this long after they were sent are sent again. */
  outbox: { resendAfterSeconds: number };
  /** Mass messages' fan-out (docs/inbox.md#mass-messages). */
  massMessages: { batchSize: number; lanes: number; jobBudgetMs: number; sweepEveryMs: number };
  mail: {
    /** Undefined: every mail is written as an `.eml` file under `dir` (development). */
    smtpUrl?: string;
    from: string;
    /** The client app's base URL, for the links in mails. */
    appUrl: string;
    dir: string;
  };
  /** `token` set: `GET /metrics` requires `Authorization: Bearer <token>`. */
  metrics: { token?: string };
  rateLimits: {
    loginAccount: RateLimitRule;
    loginIp: RateLimitRule;
    registerIp: RateLimitRule;
    refreshSession: RateLimitRule;
    mediaUpload: RateLimitRule;
    postCreate: RateLimitRule;
    email: RateLimitRule;
    passwordReset: RateLimitRule;
    /** Forgot/reset password per client address: the login-per-IP rule, counted apart. */
    passwordResetIp: RateLimitRule;
    /** `POST /reports`, per user. */
    report: RateLimitRule;
    message: RateLimitRule;
    /** `GET /users/:username/offers/:code`, per user or client address (codes can be guessed). */
    offerLookup: RateLimitRule;
    /** `POST /gifts/redeem`, per user (tokens can be guessed). */
    giftRedeem: RateLimitRule;
  };

  get runsApi(): boolean {
    return this.role !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.role !== 'api';
  }

  get isProduction(): boolean {
    return this.env === 'production';
  }
}
