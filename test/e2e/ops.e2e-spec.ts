import type { Response } from 'supertest';
import { QueueName } from '@/common/queue/queue-names';
import { QUEUE_STATES } from '@/common/metrics/metrics.service';
import { expectProblem } from '../factories/http';
import { bearer, createAdmin, createSignedInUser, createUser, PASSWORD, signIn } from '../factories/users';
import { useTestApp, withTestApp } from '../support/app';
import { waitFor } from '../support/wait';

const basic = (login: string, password: string) => `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
const QUEUES = Object.values(QueueName);

describe('Ops: queue dashboard and metrics', () => {
  // Its own Redis prefix: the dashboard's Basic sign-ins share the login counters of 127.0.0.1 with other suites.
  const t = useTestApp({ env: { RATE_LIMIT_LOGIN_IP: '6/1m', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:ops` } });

  describe('GET /admin/queues', () => {
    const expectChallenge = (res: Response) => {
      expectProblem(res, 401, 'unauthorized');
      expect(res.headers['www-authenticate']).toBe('Basic realm="x18 queues"');
    };

    it('answers 401 with a Basic challenge to a request without credentials', async () => {
      expectChallenge(await t.http.get('/admin/queues'));
      expectChallenge(await t.http.get('/admin/queues/api/queues'));
      expectChallenge(await t.http.get('/admin/queues/static/favicon-32x32.png'));
      expectChallenge(await t.http.put(`/admin/queues/api/queues/${QueueName.Events}/pause`));
    });

    it('answers a wrong password and an unknown login alike', async () => {
      const admin = await createAdmin(t);
      const wrong = await t.http.get('/admin/queues').set('Authorization', basic(admin.username, 'not-the-password'));
      const unknown = await t.http.get('/admin/queues').set('Authorization', basic('nobody_here', PASSWORD));
      expectChallenge(wrong);
      expectChallenge(unknown);
      expect(wrong.body.detail).toBe(unknown.body.detail);
    });

    it("answers 401 to a non-admin's valid Basic credentials and access token, and to a suspended admin", async () => {
      const user = await createSignedInUser(t);
      expectChallenge(await t.http.get('/admin/queues').set('Authorization', basic(user.username, PASSWORD)));
      expectChallenge(await t.http.get('/admin/queues').set('Authorization', bearer(user.accessToken)));
      expectChallenge(await t.http.get('/admin/queues').set('Authorization', bearer('not.a.token')));
      const suspended = await createAdmin(t, { suspended: true });
      expectChallenge(await t.http.get('/admin/queues').set('Authorization', basic(suspended.username, PASSWORD)));
    });

    it("serves the board's HTML to an admin by Basic (username or email) and by access token", async () => {
      const admin = await createAdmin(t);
      const { accessToken } = await signIn(t, admin);
      for (const authorization of [basic(admin.username, PASSWORD), basic(admin.email, PASSWORD), bearer(accessToken)]) {
        const res = await t.http.get('/admin/queues').set('Authorization', authorization).expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toContain('<base href="/admin/queues/"');
        expect(res.text).toContain('<title>x18 queues</title>');
      }
    });

    it("lists every queue in the board's API", async () => {
      const admin = await createAdmin(t);
      const res = await t.http.get('/admin/queues/api/queues').set('Authorization', basic(admin.username, PASSWORD)).expect(200);
      expect((res.body.queues as { name: string }[]).map((q) => q.name).sort()).toEqual([...QUEUES].sort());
    });

    it("refuses the board's actions requested by another site with an admin's cached Basic credentials", async () => {
      const admin = await createAdmin(t);
      const res = await t.http
        .put(`/admin/queues/api/queues/${QueueName.Events}/pause`)
        .set('Authorization', basic(admin.username, PASSWORD))
        .set('Sec-Fetch-Site', 'cross-site');
      expectProblem(res, 403, 'forbidden');
    });

    it('limits failed Basic attempts per client address', async () => {
      const admin = await createAdmin(t);
      const attempt = (password: string) =>
        t.app.inject({ method: 'GET', url: '/admin/queues', remoteAddress: '203.0.113.7', headers: { authorization: basic(admin.username, password) } });
      for (let i = 0; i < 6; i++) expect((await attempt('wrong-password')).statusCode).toBe(401);
      const limited = await attempt(PASSWORD);
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Another address is not affected.
      const other = await t.app.inject({ method: 'GET', url: '/admin/queues', remoteAddress: '203.0.113.8', headers: { authorization: basic(admin.username, PASSWORD) } });
      expect(other.statusCode).toBe(200);
    });
  });

  describe('GET /metrics', () => {
    const scrape = async () => {
      const res = await t.http.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      return res.text;
    };

    it('times requests by route pattern, never by raw URL', async () => {
      const user = await createUser(t);
      await t.http.get(`/api/v1/users/${user.username}`).expect(200);
      const text = await scrape();
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{.*route="\/api\/v1\/users\/:username".*status_code="200"/m);
      expect(text).not.toContain(user.username);
    });

    it('reports every queue in every state, the outbox lag and default process metrics', async () => {
      const text = await scrape();
      for (const queue of QUEUES) {
        for (const state of QUEUE_STATES) expect(text).toMatch(new RegExp(`^bullmq_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+$`, 'm'));
      }
      expect(text).toMatch(/^outbox_lag_seconds \d+(\.\d+)?(e[-+]?\d+)?$/m);
      expect(text).toMatch(/^outbox_unhandled_seconds \d+(\.\d+)?(e[-+]?\d+)?$/m);
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    });

    it('counts finished jobs and their duration once a job has run', async () => {
      const [fan, author] = await Promise.all([createSignedInUser(t), createUser(t)]);
      await t.http.post(`/api/v1/users/${author.username}/follow`).set('Authorization', bearer(fan.accessToken)).expect(200);
      const counted = /^bullmq_jobs_total\{queue="events",name="domain-event",outcome="completed"\} [1-9]\d*$/m;
      const text = await waitFor(scrape, (body) => counted.test(body));
      expect(text).toMatch(counted);
      expect(text).toMatch(/^bullmq_job_duration_seconds_count\{queue="events",name="domain-event",outcome="completed"\} [1-9]\d*$/m);
    });

    it('requires the bearer token when METRICS_TOKEN is set', async () => {
      const token = 'metrics-token-0123456789abcdef';
      await withTestApp({ env: { METRICS_TOKEN: token, APP_ROLE: 'api' } }, async (guarded) => {
        const missing = await guarded.http.get('/metrics');
        expectProblem(missing, 401, 'unauthorized');
        expectProblem(await guarded.http.get('/metrics').set('Authorization', bearer('wrong-token-0123456789abcdef')), 401, 'unauthorized');
        const ok = await guarded.http.get('/metrics').set('Authorization', bearer(token)).expect(200);
        expect(ok.text).toContain('bullmq_queue_jobs{');
      });
    });
  });
});
