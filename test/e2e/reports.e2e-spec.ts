import { randomUUID } from 'node:crypto';
import { PostsService } from '@/modules/posts/posts.service';
import { expectProblem, ISO_UTC } from '../factories/http';
import { allPages, as, createPost, PostBody } from '../factories/posts';
import { createAdmin, createSignedInUser, signIn, SignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';
import { drained, waitFor } from '../support/wait';

interface AdminReport {
  id: string;
  reporter: { id: string; username: string };
  target_user: { id: string; username: string };
  target_post: { id: string; content: string; removed_at: string | null } | null;
  reason: string;
  comment: string | null;
  reports_count: number;
  status: string;
  created_at: string;
  resolved_at: string | null;
  resolution: string | null;
}

interface AuditRow {
  id: string;
  actor: { id: string } | null;
  action: string;
  target_user: { id: string } | null;
  target_post: string | null;
  note: string | null;
  created_at: string;
}

describe('Trust and safety: reports, the moderation queue and the audit log', () => {
  let t: TestApp;
  let admin: SignedInUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signIn(t, await createAdmin(t));
  });

  afterAll(async () => {
    await t.close();
  });

  const queue = async (status: 'open' | 'resolved' = 'open') => (await allPages<AdminReport>(as(t, admin), `/admin/reports?status=${status}`, 100)).flat();
  const auditLog = async () => (await allPages<AuditRow>(as(t, admin), '/admin/audit-log', 100)).flat();

  describe('POST /reports', () => {
    it('files a report on a post and on an account, and a repeat answers the same open report (whatever the reason)', async () => {
      const [reporter, author] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post = await createPost(t, author);
      const first = await as(t, reporter).post('/reports', { post_id: post.id, reason: 'spam', comment: 'buy now links' }).expect(201);
      expect(first.body).toEqual({ id: expect.any(String), status: 'open', reason: 'spam', created_at: expect.stringMatching(ISO_UTC) });
      const again = await as(t, reporter).post('/reports', { post_id: post.id, reason: 'abuse' }).expect(200);
      expect(again.body).toEqual(first.body);

      const account = await as(t, reporter).post('/reports', { username: author.username, reason: 'impersonation' }).expect(201);
      expect(account.body.id).not.toBe(first.body.id);
      await as(t, reporter).post('/reports', { username: author.username.toUpperCase(), reason: 'other' }).expect(200);
    });

    it('answers one report to concurrent identical reports', async () => {
      const [reporter, author] = [await createSignedInUser(t), await createSignedInUser(t)];
      const answers = await Promise.all(Array.from({ length: 8 }, () => as(t, reporter).post('/reports', { username: author.username, reason: 'spam' })));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    });

    it('refuses reporting yourself or your own post, a missing or double target, bad reasons and unknown fields', async () => {
      const reporter = await createSignedInUser(t);
      const own = await createPost(t, reporter);
      expectProblem(await as(t, reporter).post('/reports', { username: reporter.username, reason: 'spam' }), 422, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { post_id: own.id, reason: 'spam' }), 422, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { reason: 'spam' }), 422, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { post_id: own.id, username: 'someone', reason: 'spam' }), 422, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { username: 'someone', reason: 'boring' }), 400, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { username: 'someone', reason: 'spam', extra: 1 }), 400, 'validation_failed');
      expectProblem(await as(t, reporter).post('/reports', { username: 'someone', reason: 'spam', comment: 'x'.repeat(1001) }), 400, 'validation_failed');
    });

    it('answers 404 for a post the reporter cannot see and an unknown account, and 401 without a token', async () => {
      const [reporter, author] = [await createSignedInUser(t), await createSignedInUser(t)];
      const hidden = await createPost(t, author, { visibility: 'followers' });
      expectProblem(await as(t, reporter).post('/reports', { post_id: hidden.id, reason: 'spam' }), 404, 'not_found');
      expectProblem(await as(t, reporter).post('/reports', { post_id: randomUUID(), reason: 'spam' }), 404, 'not_found');
      expectProblem(await as(t, reporter).post('/reports', { username: 'no_such_user_here', reason: 'spam' }), 404, 'not_found');
      expectProblem(await as(t).post('/reports', { username: author.username, reason: 'spam' }), 401, 'unauthorized');
    });
  });

  describe('GET /admin/reports', () => {
    it('groups open reports on one target with a count, and answers 403 to non-admins', async () => {
      const author = await createSignedInUser(t);
      const post = await createPost(t, author);
      const reporters = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      for (const [i, r] of reporters.entries()) await as(t, r).post('/reports', { post_id: post.id, reason: i ? 'abuse' : 'spam', comment: `#${i}` }).expect(201);
      const rows = (await queue()).filter((r) => r.target_post?.id === post.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        reporter: { id: reporters[0].id },
        target_user: { id: author.id, username: author.username },
        target_post: { id: post.id, content: post.content, removed_at: null },
        reason: 'spam',
        comment: '#0',
        reports_count: 3,
        status: 'open',
        resolved_at: null,
        resolution: null,
      });
      expectProblem(await as(t, reporters[0]).get('/admin/reports'), 403, 'forbidden');
      expectProblem(await as(t, admin).get('/admin/reports?status=closed'), 400, 'validation_failed');
    });

    it('pages with a cursor, never repeating a group', async () => {
      const reporter = await createSignedInUser(t);
      const targets = await Promise.all(Array.from({ length: 5 }, () => createSignedInUser(t)));
      for (const target of targets) await as(t, reporter).post('/reports', { username: target.username, reason: 'spam' }).expect(201);
      const pages = await allPages<AdminReport>(as(t, admin), '/admin/reports', 2);
      const all = pages.flat().map((r) => r.id);
      expect(new Set(all).size).toBe(all.length);
      const mine = pages.flat().filter((r) => r.reporter.id === reporter.id).map((r) => r.target_user.id);
      expect(mine.sort()).toEqual(targets.map((u) => u.id).sort());
    });
  });

  describe('POST /admin/reports/:id/resolve', () => {
    it('dismiss resolves every open report on the target, notifies each reporter (no sender, the post named) and audits', async () => {
      const author = await createSignedInUser(t);
      const post = await createPost(t, author);
      const reporters = [await createSignedInUser(t), await createSignedInUser(t)];
      const ids: string[] = [];
      for (const r of reporters) ids.push((await as(t, r).post('/reports', { post_id: post.id, reason: 'spam' }).expect(201)).body.id);

      const res = await as(t, admin).post(`/admin/reports/${ids[1]}/resolve`, { action: 'dismiss', note: 'not spam' }).expect(200);
      expect(res.body).toMatchObject({ id: ids[1], status: 'resolved', resolution: 'dismiss', reports_count: 2, resolved_at: expect.stringMatching(ISO_UTC) });
      expect((await queue()).some((r) => r.target_post?.id === post.id)).toBe(false);
      expect((await queue('resolved')).filter((r) => r.target_post?.id === post.id)).toEqual([expect.objectContaining({ id: ids[1], reports_count: 2 })]);
      expectProblem(await as(t, admin).post(`/admin/reports/${ids[0]}/resolve`, { action: 'dismiss' }), 409, 'conflict');

      await drained(t);
      for (const r of reporters) {
        const list = await as(t, r).get('/notifications?types[]=report_resolved').expect(200);
        expect(list.body.data).toEqual([expect.objectContaining({ type: 'report_resolved', from_user: null, post: expect.objectContaining({ id: post.id }) })]);
      }
      await as(t, author).get(`/posts/${post.id}`).expect(200);
      const audit = (await auditLog()).filter((e) => e.target_post === post.id);
      expect(audit).toEqual([expect.objectContaining({ action: 'report.resolve', actor: expect.objectContaining({ id: admin.id }), target_user: expect.objectContaining({ id: author.id }), note: 'not spam' })]);
    });

    it('remove_post hides the post from everyone, keeps its row, tells reporters without the post, and audits both entries', async () => {
      const [author, reporter] = [await createSignedInUser(t), await createSignedInUser(t)];
      const post: PostBody = await createPost(t, author);
      const { id } = (await as(t, reporter).post('/reports', { post_id: post.id, reason: 'illegal' }).expect(201)).body;
      await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }).expect(200);

      for (const viewer of [author, reporter, admin, undefined]) expectProblem(await as(t, viewer).get(`/posts/${post.id}`), 404, 'not_found');
      const resolved = (await queue('resolved')).find((r) => r.id === id)!;
      expect(resolved.target_post).toMatchObject({ id: post.id, removed_at: expect.stringMatching(ISO_UTC) });

      await drained(t);
      const list = await as(t, reporter).get('/notifications?types[]=report_resolved').expect(200);
      expect(list.body.data).toEqual([expect.objectContaining({ type: 'report_resolved', from_user: null, post: null })]);
      const actions = (await auditLog()).filter((e) => e.target_post === post.id).map((e) => e.action);
      expect(actions.sort()).toEqual(['post.remove', 'report.resolve']);
    });

    it('remove_post lowers the counters the post raised (author posts_count, parent replies_count, original reposts_count), once', async () => {
      const [author, other, reporter] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      const parent = await createPost(t, other);
      const original = await createPost(t, other);
      const reply = await createPost(t, author, { content: 'a reported reply', reply_to_id: parent.id });
      const deleted = await createPost(t, author, { content: 'deleted by its author first', reply_to_id: parent.id });
      await as(t, author).post(`/posts/${original.id}/repost`).expect(200);
      const [repost] = await t.sql<{ id: string }>('select id from posts where user_id = ? and repost_of_id = ?', [author.id, original.id]);
      await as(t, author).delete(`/posts/${deleted.id}`).expect(204);
      const counts = async () => ({
        posts: (await t.sql<{ n: number }>('select posts_count as n from users where id = ?', [author.id]))[0].n,
        replies: (await as(t, other).get(`/posts/${parent.id}`).expect(200)).body.replies_count as number,
        reposts: (await as(t, other).get(`/posts/${original.id}`).expect(200)).body.reposts_count as number,
      });
      expect(await counts()).toEqual({ posts: 2, replies: 1, reposts: 1 });

      const remove = async (postId: string) => {
        const { id } = (await as(t, reporter).post('/reports', { post_id: postId, reason: 'spam' }).expect(201)).body;
        await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }).expect(200);
      };
      await remove(reply.id);
      expect(await counts()).toEqual({ posts: 1, replies: 0, reposts: 1 });
      await remove(repost.id);
      expect(await counts()).toEqual({ posts: 0, replies: 0, reposts: 0 });
      // A post its author had deleted already lowered them: a moderator's removal of it only marks it.
      expect(await t.em().transactional((em) => t.app.get(PostsService).removeByModerator(em, deleted.id))).toBe(true);
      expect(await counts()).toEqual({ posts: 0, replies: 0, reposts: 0 });
      // Undoing the removed repost changes nothing either.
      await as(t, author).delete(`/posts/${original.id}/repost`).expect(200);
      expect(await counts()).toEqual({ posts: 0, replies: 0, reposts: 0 });
    });

    it('suspend_user suspends the reported account at once (tokens stop working) and audits both entries', async () => {
      const [target, reporter] = [await createSignedInUser(t), await createSignedInUser(t)];
      const { id } = (await as(t, reporter).post('/reports', { username: target.username, reason: 'abuse' }).expect(201)).body;
      await as(t, target).get('/me').expect(200);
      await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'suspend_user', note: 'harassment' }).expect(200);
      expectProblem(await as(t, target).get('/me'), 401, 'unauthorized');
      expectProblem(await as(t, reporter).get(`/users/${target.username}`), 404, 'not_found');
      const actions = (await auditLog()).filter((e) => e.target_user?.id === target.id).map((e) => e.action);
      expect(actions.sort()).toEqual(['report.resolve', 'user.suspend']);
      await drained(t);
      const list = await waitFor(
        async () => (await as(t, reporter).get('/notifications').expect(200)).body.data as { type: string }[],
        (data) => data.length > 0,
      );
      expect(list.map((n) => n.type)).toEqual(['report_resolved']);
    });

    it('rolls back everything when the action fails: remove_post on an account report, or an admin suspending themselves', async () => {
      const [target, reporter] = [await createSignedInUser(t), await createSignedInUser(t)];
      const { id } = (await as(t, reporter).post('/reports', { username: target.username, reason: 'spam' }).expect(201)).body;
      expectProblem(await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }), 422, 'validation_failed');
      const self = (await as(t, reporter).post('/reports', { username: admin.username, reason: 'spam' }).expect(201)).body;
      expectProblem(await as(t, admin).post(`/admin/reports/${self.id}/resolve`, { action: 'suspend_user' }), 422, 'validation_failed');
      const open = (await queue()).map((r) => r.id);
      expect(open).toEqual(expect.arrayContaining([id, self.id]));
      expect((await auditLog()).some((e) => e.target_user?.id === target.id)).toBe(false);
    });

    it('answers 404 for an unknown report, 400 for a bad action or id, and 403 to non-admins', async () => {
      const user = await createSignedInUser(t);
      expectProblem(await as(t, admin).post(`/admin/reports/${randomUUID()}/resolve`, { action: 'dismiss' }), 404, 'not_found');
      expectProblem(await as(t, admin).post(`/admin/reports/${randomUUID()}/resolve`, { action: 'ban' }), 400, 'validation_failed');
      expectProblem(await as(t, admin).post('/admin/reports/nope/resolve', { action: 'dismiss' }), 400, 'validation_failed');
      expectProblem(await as(t, user).post(`/admin/reports/${randomUUID()}/resolve`, { action: 'dismiss' }), 403, 'forbidden');
    });
  });

  describe('GET /admin/audit-log', () => {
    it('records verify, suspend, unsuspend and role changes with their actor and target, newest first', async () => {
      const target = await createSignedInUser(t);
      for (const action of ['verify', 'suspend', 'unsuspend']) await as(t, admin).post(`/admin/users/${target.username}/${action}`).expect(200);
      await as(t, admin).patch(`/admin/users/${target.username}/role`, { role: 'admin' }).expect(200);
      const entries = (await auditLog()).filter((e) => e.target_user?.id === target.id);
      expect(entries.map((e) => e.action)).toEqual(['user.role', 'user.unsuspend', 'user.suspend', 'user.verify']);
      expect(entries[0]).toMatchObject({ actor: { id: admin.id }, note: 'user → admin', created_at: expect.stringMatching(ISO_UTC) });
    });

    it('writes nothing when the action fails, pages with a cursor, is admin-only and offers no way to edit it', async () => {
      const before = (await auditLog()).length;
      expectProblem(await as(t, admin).post(`/admin/users/${admin.username}/suspend`), 422, 'validation_failed');
      expect((await auditLog()).length).toBe(before);
      const pages = await allPages<AuditRow>(as(t, admin), '/admin/audit-log', 3);
      const all = pages.flat().map((e) => e.id);
      expect(new Set(all).size).toBe(before);
      const user = await createSignedInUser(t);
      expectProblem(await as(t, user).get('/admin/audit-log'), 403, 'forbidden');
      expectProblem(await as(t).get('/admin/audit-log'), 401, 'unauthorized');
      for (const res of [await as(t, admin).delete(`/admin/audit-log/${all[0]}`), await as(t, admin).patch(`/admin/audit-log/${all[0]}`, { note: 'x' })]) {
        expect(res.status).toBe(404);
      }
      // The list exists, but only to read: writing to it is 405 with Allow naming the read methods.
      const write = await as(t, admin).post('/admin/audit-log', { action: 'user.verify' });
      expect({ status: write.status, allow: write.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
    });
  });
});
