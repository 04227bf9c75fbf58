import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config';

const dataDir = () => mkdtempSync(join(tmpdir(), 'x18-config-'));

describe(loadConfig.name, () => {
  it('starts with no variables at all in development, generating secrets once', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.http.port).toBe(3000);
    expect(first.role).toBe('all');
    expect(first.database.url).toBeUndefined();
    expect(first.auth.accessTtlSeconds).toBe(900);
    expect(first.auth.refreshTtlSeconds).toBe(30 * 86400);
    expect(first.auth.jwtSecret).toBe(second.auth.jwtSecret);
    expect(first.auth.encryptionKey.length).toBe(32);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')).JWT_SECRET).toBe(first.auth.jwtSecret);
  });

  it('refuses production without secrets, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toThrow(
      new ConfigError('JWT_SECRET is required when NODE_ENV=production'),
    );
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ENCRYPTION_KEY: 'a'.repeat(64) }),
    ).toThrow(/^DATABASE_URL/);
  });

  it('names a malformed variable in one line without echoing secrets', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), PORT: 'eighty' })).toThrow(/^PORT .*"eighty"/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), APP_ROLE: 'both' })).toThrow(/^APP_ROLE/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: 'mysql://x' })).toThrow(/^DATABASE_URL must be a postgres/);
    const secret = 'short-secret';
    expect(() => loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: secret })).toThrow(/^JWT_SECRET/);
    try {
      loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: secret });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('reads rate limits as count per window and the cluster node list', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), RATE_LIMIT_LOGIN_IP: '7/2m', REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' });
    expect(config.rateLimits.loginIp).toEqual({ limit: 7, windowSeconds: 120 });
    expect(config.rateLimits.loginAccount).toEqual({ limit: 20, windowSeconds: 300 });
    expect(config.redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
  });

  it('refuses a hash tag in REDIS_PREFIX with a cluster, which would put every key in one slot', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_PREFIX: '{x18}' })).toThrow(/^REDIS_PREFIX must not contain/);
    expect(loadConfig({ DATA_DIR: dataDir(), REDIS_PREFIX: '{x18}' }).redis.prefix).toBe('{x18}');
  });

  it('takes read replicas only as postgres:// URLs next to a primary', () => {
    const primary = 'postgres://app@db/x18';
    const config = loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'postgres://app@r1/x18, postgres://app@r2/x18' });
    expect(config.database.replicaUrls).toEqual(['postgres://app@r1/x18', 'postgres://app@r2/x18']);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: primary, DATABASE_REPLICA_URLS: 'mysql://r1/x18' })).toThrow(/^DATABASE_REPLICA_URLS must be/);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_REPLICA_URLS: 'postgres://app@r1/x18' })).toThrow(/^DATABASE_REPLICA_URLS needs DATABASE_URL/);
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses and CIDRs, and refuses anything else', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).http.trustProxy).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.internal', '1.2.3.4/8/9']) {
      expect(() => loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: bad })).toThrow(/^TRUST_PROXY must be/);
    }
  });

  it('reads the Stripe Connect settings, with their defaults under APP_URL', () => {
    const defaults = loadConfig({ DATA_DIR: dataDir(), APP_URL: 'https://app.example.test/' });
    expect(defaults.connect).toEqual({
      required: true,
      feePercent: 10,
      feeBasisPoints: 1000,
      referralShareBasisPoints: 1000,
      returnUrl: 'https://app.example.test/payouts/return',
      refreshUrl: 'https://app.example.test/payouts/refresh',
    });
    const set = loadConfig({
      DATA_DIR: dataDir(),
      CONNECT_REQUIRED: 'false',
      PLATFORM_FEE_PERCENT: '2.9',
      REFERRAL_SHARE_PERCENT: '25',
      CONNECT_RETURN_URL: 'https://x.test/back',
      CONNECT_REFRESH_URL: 'https://x.test/again',
      STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect',
    });
    expect(set.connect).toEqual({ required: false, feePercent: 2.9, feeBasisPoints: 290, referralShareBasisPoints: 2500, returnUrl: 'https://x.test/back', refreshUrl: 'https://x.test/again' });
    expect(set.stripe.connectWebhookSecret).toBe('whsec_connect');
    expect(loadConfig({ DATA_DIR: dataDir(), PLATFORM_FEE_PERCENT: '100' }).connect.feeBasisPoints).toBe(10_000);
    for (const bad of ['-1', '100.5', '101', '7.125', 'ten']) {
      expect(() => loadConfig({ DATA_DIR: dataDir(), PLATFORM_FEE_PERCENT: bad })).toThrow(/^PLATFORM_FEE_PERCENT must be/);
    }
    for (const bad of ['-1', '101', 'ten']) {
      expect(() => loadConfig({ DATA_DIR: dataDir(), REFERRAL_SHARE_PERCENT: bad })).toThrow(/^REFERRAL_SHARE_PERCENT must be/);
    }
    expect(() => loadConfig({ DATA_DIR: dataDir(), CONNECT_REQUIRED: 'yes' })).toThrow(/^CONNECT_REQUIRED/);
  });

  it('selects the role', () => {
    const worker = loadConfig({ DATA_DIR: dataDir(), APP_ROLE: 'worker' });
    expect([worker.runsApi, worker.runsWorkers]).toEqual([false, true]);
    const api = loadConfig({ DATA_DIR: dataDir(), APP_ROLE: 'api' });
    expect([api.runsApi, api.runsWorkers]).toEqual([true, false]);
  });
});
