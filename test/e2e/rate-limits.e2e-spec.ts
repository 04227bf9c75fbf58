import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Response } from 'supertest';
import { RedisService } from '@/common/redis/redis.service';
import { Session } from '@/modules/auth/entities/session.entity';
import { User } from '@/modules/users/entities/user.entity';
import { expectProblem } from '../factories/http';
import { createUser, PASSWORD, registration, signIn } from '../factories/users';
import { TestApp, useTestApp } from '../support/app';

/**
 * Small limits, and a Redis prefix of this file's own: counters are per IP, and every request of the run comes
 * from 127.0.0.1, so sharing the run's counters would make these tests depend on what other files did.
 */
const ENV = {
  REDIS_PREFIX: `${process.env.REDIS_PREFIX}:rl${randomBytes(3).toString('hex')}`,
  RATE_LIMIT_LOGIN_ACCOUNT: '3/1m',
  RATE_LIMIT_LOGIN_IP: '5/1m',
  RATE_LIMIT_REGISTER_IP: '3/1m',
  RATE_LIMIT_REFRESH_SESSION: '2/1m',
};

function rateLimitHeaders(res: Response): { limit: number; remaining: number; reset: number } {
  for (const name of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) {
    expect({ name, value: res.headers[name] }).toEqual({ name, value: expect.stringMatching(/^\d+$/) });
  }
  return {
    limit: Number(res.headers['ratelimit-limit']),
    remaining: Number(res.headers['ratelimit-remaining']),
    reset: Number(res.headers['ratelimit-reset']),
  };
}

function expectRateLimited(res: Response, windowSeconds = 60): void {
  expectProblem(res, 429, 'rate_limited');
  expect(res.headers['retry-after']).toMatch(/^\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(windowSeconds);
  expect(rateLimitHeaders(res).remaining).toBe(0);
}

describe('Rate limits', () => {
  // Two API instances on one PostgreSQL and one Redis, as in a scaled-out deployment.
  const a = useTestApp({ env: ENV });
  const b = useTestApp({ env: ENV });

  const login = (app: TestApp, loginName: string, password = 'wrong-password', forwardedFor?: string) => {
    const req = app.http.post('/api/v1/auth/login');
    if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
    return req.send({ login: loginName, password });
  };
  const register = (app: TestApp, body = registration()) => app.http.post('/api/v1/auth/register').send(body);
  const refresh = (app: TestApp, refreshToken: string) => app.http.post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });

  beforeEach(async () => {
    // Every test starts with fresh windows: drop this file's counters and blocks.
    const redis = a.app.get(RedisService).client as Redis;
    const keys = await redis.keys(`${a.config.redis.prefix}:rl:*`);
    if (keys.length) await redis.del(...keys);
  });

  it('answers RateLimit-Limit, -Remaining and -Reset on login, register and refresh, and not on other routes', async () => {
    const user = await createUser(a);
    const loginRes = await login(a, user.username).expect(401);
    // Login carries two limits; the headers describe the tighter one (3 per account, 5 per IP).
    expect(rateLimitHeaders(loginRes)).toEqual({ limit: 3, remaining: 2, reset: expect.any(Number) });

    const registerRes = await register(a).expect(201);
    expect(rateLimitHeaders(registerRes)).toMatchObject({ limit: 3, remaining: 2 });

    const session = await signIn(a, user);
    const refreshRes = await refresh(a, session.refreshToken).expect(200);
    expect(rateLimitHeaders(refreshRes)).toMatchObject({ limit: 2, remaining: 1 });

    for (const res of [loginRes, registerRes, refreshRes]) {
      const { reset } = rateLimitHeaders(res);
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }

    const unlimited = await a.http.get(`/api/v1/users/${user.username}`).expect(200);
    expect(unlimited.headers['ratelimit-limit']).toBeUndefined();
  });

  it('refuses the 4th login attempt for one account with 429 rate_limited and Retry-After, even with the right password', async () => {
    const user = await createUser(a, { username: `Rl_${randomBytes(5).toString('hex')}` });
    // Case, spaces and signing in by email instead of username do not make another account.
    const names = [user.username, user.email.toUpperCase(), `  ${user.username.toLowerCase()} `];
    for (const [i, name] of names.entries()) {
      const res = await login(a, name);
      expectProblem(res, 401, 'unauthorized');
      expect(rateLimitHeaders(res).remaining).toBe(2 - i);
    }
    const blocked = await login(a, user.username, PASSWORD);
    expectRateLimited(blocked);
    expect(await a.em().count(Session, { user: user.id })).toBe(0);
  });

  it('lets other accounts from the same IP through until the per-IP limit, whatever X-Forwarded-For claims', async () => {
    const [first, second, third] = await Promise.all([createUser(a), createUser(a), createUser(a)]);
    const spoof = () => `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

    await login(a, first.username, 'wrong-password', spoof()).expect(401);
    await login(a, first.username, PASSWORD, spoof()).expect(200);
    // `second` has its own account budget: three attempts, all within the IP's five.
    await login(a, second.username, 'wrong-password', spoof()).expect(401);
    await login(a, second.username, 'wrong-password', spoof()).expect(401);
    await login(a, second.username, PASSWORD, spoof()).expect(200);

    // The sixth attempt from this address: `third` has never tried, but the IP is spent.
    expectRateLimited(await login(a, third.username, PASSWORD, spoof()));
    expectRateLimited(await login(a, third.username, PASSWORD));
    expect(await a.em().count(Session, { user: third.id })).toBe(0);
  });

  it('limits registrations per IP: the 4th is refused with 429 and creates nothing', async () => {
    for (let i = 0; i < 3; i++) await register(a).expect(201);
    const body = registration();
    expectRateLimited(await register(a, body));
    expect(await a.em().count(User, { username: body.username as string })).toBe(0);
    // The limit comes before validation: a malformed body is refused the same way.
    expectRateLimited(await register(a, { username: 'x' }));
  });

  it("limits refreshes per session, across rotations, without touching the user's other sessions", async () => {
    const user = await createUser(a);
    const laptop = await signIn(a, user);
    const phone = await signIn(a, user);

    const first = await refresh(a, laptop.refreshToken).expect(200);
    const second = await refresh(a, first.body.refresh_token).expect(200);
    expectRateLimited(await refresh(a, second.body.refresh_token));

    const other = await refresh(a, phone.refreshToken).expect(200);
    expect(rateLimitHeaders(other)).toMatchObject({ limit: 2, remaining: 1 });
  });

  it('counts in Redis, across API instances: alternating between two instances spends one budget', async () => {
    const user = await createUser(a);
    const remaining: number[] = [];
    for (const app of [a, b, a]) {
      const res = await login(app, user.username);
      expectProblem(res, 401, 'unauthorized');
      remaining.push(rateLimitHeaders(res).remaining);
    }
    expect(remaining).toEqual([2, 1, 0]);
    expectRateLimited(await login(b, user.username, PASSWORD));
    expectRateLimited(await login(a, user.username, PASSWORD));

    for (const app of [b, a, b]) await register(app).expect(201);
    expectRateLimited(await register(a));
    expectRateLimited(await register(b));
  });
});
