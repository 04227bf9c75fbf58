import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig } from './app-config';
import { parseDurationSeconds, parseRateLimit } from './duration';
import { EnvSchema, SECRET_VARIABLES, SENSITIVE_VARIABLES } from './env.schema';

/** A configuration problem, reported at start-up as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function validateEnv(env: Env): EnvSchema {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const schema = plainToInstance(EnvSchema, present, { exposeDefaultValues: true });
  const [first] = validateSync(schema, { whitelist: false, forbidUnknownValues: false });
  if (first) {
    const constraints = first.constraints ?? {};
    const primary = ['isInt', 'matches', 'isIn', 'isUrl', 'isEmail'].find((name) => constraints[name]);
    const reason = (primary ? constraints[primary] : Object.values(constraints)[0]) ?? 'is invalid';
    const shown = SENSITIVE_VARIABLES.includes(first.property) ? '' : ` (got "${String(first.value)}")`;
    throw new ConfigError(`${first.property} ${reason.replace(new RegExp(`^${first.property} `), '')}${shown}`);
  }
  return schema;
}

/**
 * Development secrets are generated once and kept under the data folder, so a restart
 * does not log everyone out. Production never gets this: its secrets must be set.
 */
function developmentSecrets(dataDir: string): { JWT_SECRET: string; ENCRYPTION_KEY: string } {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = { JWT_SECRET: randomBytes(48).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('hex') };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

function parseHostPorts(list: string | undefined, name: string): { host: string; port: number }[] {
  if (!list) return [];
  return list.split(',').map((entry) => {
    const match = /^\s*([^:\s]+):(\d+)\s*$/.exec(entry);
    if (!match) throw new ConfigError(`${name} must be a comma-separated host:port list (got "${entry}")`);
    return { host: match[1], port: Number(match[2]) };
  });
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** `TRUST_PROXY`: a hop count, or addresses and CIDRs (`10.0.0.0/8`, `::1`); anything else stops start-up. */
export function parseTrustProxy(value: string | undefined): number | string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const entries = splitList(value);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const validBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (!family || !validBits || rest.length) {
      throw new ConfigError(`TRUST_PROXY must be a number of hops or a comma-separated list of IP addresses/CIDRs (got "${entry}")`);
    }
  }
  return entries;
}

export function loadConfig(env: Env = process.env): AppConfig {
  const e = validateEnv(env);
  const production = e.NODE_ENV === 'production';
  if (production) {
    for (const name of SECRET_VARIABLES) {
      if (!e[name]) throw new ConfigError(`${name} is required when NODE_ENV=production`);
    }
    if (!e.DATABASE_URL) throw new ConfigError('DATABASE_URL is required when NODE_ENV=production');
  }
  const replicaUrls = splitList(e.DATABASE_REPLICA_URLS);
  if (replicaUrls.some((url) => !/^postgres(ql)?:\/\/.+/.test(url))) {
    throw new ConfigError('DATABASE_REPLICA_URLS must be a comma-separated list of postgres:// URLs');
  }
  if (replicaUrls.length && !e.DATABASE_URL) throw new ConfigError('DATABASE_REPLICA_URLS needs DATABASE_URL (the primary) to be set');
  const clusterNodes = parseHostPorts(e.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES');
  // In a cluster, a hash tag in the prefix would pin every key of ours to one slot (one shard): BullMQ gets its own.
  if (clusterNodes.length && /[{}]/.test(e.REDIS_PREFIX)) {
    throw new ConfigError(`REDIS_PREFIX must not contain { or } with REDIS_CLUSTER_NODES (got "${e.REDIS_PREFIX}")`);
  }
  const dataDir = resolve(e.DATA_DIR);
  const generated = production || (e.JWT_SECRET && e.ENCRYPTION_KEY) ? undefined : developmentSecrets(dataDir);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  const appUrl = (e.APP_URL ?? publicUrl).replace(/\/$/, '');
  const feeBasisPoints = Math.round(Number(e.PLATFORM_FEE_PERCENT) * 100);

  const config = new AppConfig();
  Object.assign(config, {
    env: e.NODE_ENV,
    role: e.APP_ROLE,
    dataDir,
    logLevel: e.LOG_LEVEL,
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      publicUrl,
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
    },
    database: {
      url: e.DATABASE_URL,
      replicaUrls,
      poolMax: e.DATABASE_POOL_MAX,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      embeddedPort: e.EMBEDDED_PG_PORT,
    },
    redis: {
      url: e.REDIS_URL,
      clusterNodes,
      prefix: e.REDIS_PREFIX,
    },
    auth: {
      jwtSecret: e.JWT_SECRET ?? generated!.JWT_SECRET,
      accessTtlSeconds: parseDurationSeconds(e.JWT_ACCESS_TTL),
      refreshTtlSeconds: parseDurationSeconds(e.JWT_REFRESH_TTL),
      encryptionKey: Buffer.from(e.ENCRYPTION_KEY ?? generated!.ENCRYPTION_KEY, 'hex'),
      sessionCacheTtlMs: e.SESSION_CACHE_TTL_MS,
      sessionCacheMax: e.SESSION_CACHE_MAX,
    },
    admin: { username: e.ADMIN_USERNAME, email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      connectWebhookSecret: e.STRIPE_CONNECT_WEBHOOK_SECRET,
      apiBase: e.STRIPE_API_BASE,
      successUrl: e.CHECKOUT_SUCCESS_URL ?? `${publicUrl}/checkout/success`,
      cancelUrl: e.CHECKOUT_CANCEL_URL ?? `${publicUrl}/checkout/cancel`,
    },
    connect: {
      required: e.CONNECT_REQUIRED === 'true',
      feePercent: feeBasisPoints / 100,
      feeBasisPoints,
      referralShareBasisPoints: Math.round(Number(e.REFERRAL_SHARE_PERCENT) * 100),
      returnUrl: e.CONNECT_RETURN_URL ?? `${appUrl}/payouts/return`,
      refreshUrl: e.CONNECT_REFRESH_URL ?? `${appUrl}/payouts/refresh`,
    },
    google: {
      clientId: e.GOOGLE_CLIENT_ID,
      clientSecret: e.GOOGLE_CLIENT_SECRET,
      callbackUrl: e.GOOGLE_CALLBACK_URL ?? `${publicUrl}/api/v1/auth/google/callback`,
      authUrl: e.GOOGLE_AUTH_URL,
      tokenUrl: e.GOOGLE_TOKEN_URL,
      userInfoUrl: e.GOOGLE_USERINFO_URL,
      redirectAllowlist: splitList(e.OAUTH_REDIRECT_ALLOWLIST),
    },
    media: {
      dir: resolve(e.MEDIA_DIR ?? join(dataDir, 'media')),
      urlTtlSeconds: e.MEDIA_URL_TTL,
      maxImageBytes: e.MEDIA_MAX_IMAGE_BYTES,
      maxVideoBytes: e.MEDIA_MAX_VIDEO_BYTES,
      s3: e.S3_BUCKET
        ? {
            endpoint: e.S3_ENDPOINT,
            bucket: e.S3_BUCKET,
            region: e.S3_REGION,
            accessKeyId: e.S3_ACCESS_KEY_ID,
            secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          }
        : undefined,
    },
    billing: { pastDueGraceDays: e.PAST_DUE_GRACE_DAYS },
    outbox: { resendAfterSeconds: parseDurationSeconds(e.OUTBOX_RESEND_AFTER) },
    massMessages: {
      batchSize: e.MASS_MESSAGE_BATCH_SIZE,
      lanes: e.MASS_MESSAGE_LANES,
      jobBudgetMs: parseDurationSeconds(e.MASS_MESSAGE_JOB_BUDGET) * 1000,
      sweepEveryMs: parseDurationSeconds(e.MASS_MESSAGE_SWEEP_EVERY) * 1000,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      appUrl,
      dir: join(dataDir, 'mail'),
    },
    metrics: { token: e.METRICS_TOKEN },
    rateLimits: {
      loginAccount: parseRateLimit(e.RATE_LIMIT_LOGIN_ACCOUNT),
      loginIp: parseRateLimit(e.RATE_LIMIT_LOGIN_IP),
      registerIp: parseRateLimit(e.RATE_LIMIT_REGISTER_IP),
      refreshSession: parseRateLimit(e.RATE_LIMIT_REFRESH_SESSION),
      mediaUpload: parseRateLimit(e.RATE_LIMIT_MEDIA_UPLOAD),
      postCreate: parseRateLimit(e.RATE_LIMIT_POST_CREATE),
      email: parseRateLimit(e.RATE_LIMIT_EMAIL),
      passwordReset: parseRateLimit(e.RATE_LIMIT_PASSWORD_RESET),
      passwordResetIp: parseRateLimit(e.RATE_LIMIT_LOGIN_IP),
      report: parseRateLimit(e.RATE_LIMIT_REPORT),
      message: parseRateLimit(e.RATE_LIMIT_MESSAGE),
      offerLookup: parseRateLimit(e.RATE_LIMIT_OFFER_LOOKUP),
      giftRedeem: parseRateLimit(e.RATE_LIMIT_GIFT_REDEEM),
    },
  });
  return config;
}
