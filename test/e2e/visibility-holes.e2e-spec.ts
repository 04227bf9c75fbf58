import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Media } from '@/modules/media/entities/media.entity';
import { newStorageKey } from '@/modules/media/media-keys';
import { expectProblem } from '../factories/http';
import { as, createMedia, createPost, follow, PageBody, PostBody, scan, subscribe, uniqueWord } from '../factories/posts';
import { createAdmin, createSignedInUser, signIn, SignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';
import { drained } from '../support/wait';

/**
 * The holes of issue 15 that live in the read paths (1, 5, the lists and `blocked_by` of 9), and removed posts,
 * each asserted on every read path that shows them. Each failed on main before its fix.
 */
describe('Visibility holes (issue 15)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  /** Every read path that lists `post` for `viewer`: the post, its author's page, the public timeline and its tag. */
  async function everyView(viewer: SignedInUser | undefined, post: PostBody, tag: string): Promise<PostBody[]> {
    const client = as(t, viewer);
    const found = (list: PostBody[]) => list.filter((p) => p.id === post.id);
    return [
      (await client.get(`/posts/${post.id}`).expect(200)).body as PostBody,
      ...found((await client.get(`/users/${post.author.username}/posts`).expect(200)).body.data),
      ...found(await scan(client, '/timelines/public', post.created_at)),
      ...found((await client.get(`/tags/${tag}/posts`).expect(200)).body.data),
      (await client.get(`/posts/${post.id}/thread`).expect(200)).body.post as PostBody,
    ];
  }

  describe('1: a locked post shows only the type and count of its media', () => {
    it('answers each media item as exactly { id, type } on every read path, and in full to those who may see it', async () => {
      const [author, stranger, fan] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      const tag = uniqueWord('t');
      const post = await createPost(t, author, { content: `pay to see #${tag}`, is_premium: true, preview: `teaser #${tag}` });
      for (const kind of ['image', 'video'] as const) {
        const media = await createMedia(t, author, post.id);
        await t.em().nativeUpdate(Media, { id: media.id }, { type: kind, altText: 'a transcript of the paid content', blurhash: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' });
      }
      await subscribe(t, fan, author);
      for (const viewer of [stranger, undefined]) {
        const views = await everyView(viewer, post, tag);
        expect(views).toHaveLength(5);
        for (const view of views) {
          expect(view.locked).toBe(true);
          expect(view.media).toEqual([
            { id: expect.any(String), type: 'image' },
            { id: expect.any(String), type: 'video' },
          ]);
        }
      }
      const open = (await as(t, fan).get(`/posts/${post.id}`).expect(200)).body as PostBody;
      expect(open.locked).toBe(false);
      expect(open.media[0]).toMatchObject({ alt_text: 'a transcript of the paid content', width: 640, url: expect.any(String) });
    });
  });

  describe('5: tag pages place a locked post only by the tags of its preview', () => {
    it('hides a locked post from the tags of its hidden content, lists it under its preview tags, and in full for buyers', async () => {
      const [author, stranger, fan] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      const [hidden, shown] = [uniqueWord('secret'), uniqueWord('open')];
      const post = await createPost(t, author, { content: `the answer is #${hidden}`, is_premium: true, preview: `guess it #${shown}` });
      await subscribe(t, fan, author);
      const listed = async (viewer: SignedInUser | undefined, tag: string) =>
        ((await as(t, viewer).get(`/tags/${tag}/posts`).expect(200)).body as PageBody).data.map((p) => p.id);
      for (const viewer of [stranger, undefined]) {
        expect(await listed(viewer, hidden)).toEqual([]);
        expect(await listed(viewer, shown)).toEqual([post.id]);
      }
      expect(await listed(fan, hidden)).toEqual([post.id]);
      expect(await listed(author, hidden)).toEqual([post.id]);
    });
  });

  describe('9: a block hides both ways, lists included', () => {
    it('leaves the other side out of follower, following and like lists, and tells the blocked viewer blocked_by', async () => {
      const [blocker, blocked, third] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      await follow(t, blocker, third);
      await follow(t, blocked, third);
      await follow(t, third, blocker);
      await follow(t, third, blocked);
      const post = await createPost(t, third, 'liked by both');
      await as(t, blocker).post(`/posts/${post.id}/like`).expect(200);
      await as(t, blocked).post(`/posts/${post.id}/like`).expect(200);
      const blockerPost = await createPost(t, blocker, 'mine');
      await as(t, blocker).post(`/users/${blocked.username}/block`).expect(200);

      const usernames = async (viewer: SignedInUser | undefined, path: string) =>
        ((await as(t, viewer).get(path).expect(200)).body.data as { username: string }[]).map((u) => u.username).sort();
      for (const [viewer, other] of [
        [blocked, blocker],
        [blocker, blocked],
      ]) {
        expect(await usernames(viewer, `/users/${third.username}/followers`)).toEqual([viewer.username]);
        expect(await usernames(viewer, `/users/${third.username}/following`)).toEqual([viewer.username]);
        expect(await usernames(viewer, `/posts/${post.id}/likes`)).toEqual([viewer.username]);
        expect(await usernames(viewer, `/posts/${post.id}/likes`)).not.toContain(other.username);
      }
      // Anonymous viewers see everyone.
      expect(await usernames(undefined, `/posts/${post.id}/likes`)).toEqual([blocker.username, blocked.username].sort());

      const profile = await as(t, blocked).get(`/users/${blocker.username}`).expect(200);
      expect(profile.body.relationship).toMatchObject({ blocked_by: true, blocking: false, following: false });
      expect((await as(t, blocker).get(`/users/${blocked.username}`).expect(200)).body.relationship).toMatchObject({ blocked_by: false, blocking: true });
      expect((await as(t, blocked).get(`/users/${blocker.username}/posts`).expect(200)).body.data).toEqual([]);
      expectProblem(await as(t, blocked).get(`/posts/${blockerPost.id}`), 404, 'not_found');
    });
  });

  describe('removed posts (a report resolved with remove_post)', () => {
    it('are gone from every read path, for everyone, their author included, and their media files too', async () => {
      const [author, reader, reporter] = [await createSignedInUser(t), await createSignedInUser(t), await createSignedInUser(t)];
      const admin = await signIn(t, await createAdmin(t));
      const tag = uniqueWord('gone');
      const post = await createPost(t, author, `to be removed #${tag} @${reader.username}`);
      const media = await createMedia(t, author, post.id);
      const key = newStorageKey(media.id, 'image/jpeg');
      await t.em().nativeUpdate(Media, { id: media.id }, { storageKey: key });
      mkdirSync(dirname(join(t.config.media.dir, key)), { recursive: true });
      writeFileSync(join(t.config.media.dir, key), randomBytes(32));
      const reply = await createPost(t, reader, { content: 'a reply', reply_to_id: post.id });
      await follow(t, reader, author);
      await t.http.get(`/api/v1/media/files/${key}`).expect(200);
      await drained(t);
      expect((await as(t, reader).get('/notifications?types[]=mention').expect(200)).body.data).toHaveLength(1);

      const { id } = (await as(t, reporter).post('/reports', { post_id: post.id, reason: 'abuse' }).expect(201)).body;
      await as(t, admin).post(`/admin/reports/${id}/resolve`, { action: 'remove_post' }).expect(200);

      for (const viewer of [author, reader, admin, undefined]) {
        const client = as(t, viewer);
        expectProblem(await client.get(`/posts/${post.id}`), 404, 'not_found');
        expectProblem(await client.get(`/posts/${post.id}/replies`), 404, 'not_found');
        expectProblem(await client.get(`/posts/${post.id}/likes`), 404, 'not_found');
        const ids = (list: PostBody[]) => list.map((p) => p.id);
        expect(ids((await client.get(`/users/${author.username}/posts`).expect(200)).body.data)).not.toContain(post.id);
        expect(ids((await client.get(`/tags/${tag}/posts`).expect(200)).body.data)).toEqual([]);
        expect(ids(await scan(client, '/timelines/public', post.created_at))).not.toContain(post.id);
        expect(ids((await client.get(`/posts/${reply.id}/thread`).expect(200)).body.ancestors)).toEqual([]);
      }
      expect(((await as(t, reader).get('/timelines/home').expect(200)).body as PageBody).data.map((p) => p.id)).not.toContain(post.id);
      expect((await as(t, reader).get('/notifications?types[]=mention').expect(200)).body.data).toEqual([]);
      expectProblem(await as(t, reader).post(`/posts/${post.id}/like`), 404, 'not_found');
      expectProblem(await as(t, author).post('/posts', { content: 'reply', reply_to_id: post.id }), 404, 'not_found');
      expectProblem(await t.http.get(`/api/v1/media/files/${key}`), 404, 'not_found');
      // The row stays, for the audit.
      const [row] = (await t.em().execute('select removed_at, deleted_at from posts where id = ?', [post.id])) as { removed_at: Date | null; deleted_at: Date | null }[];
      expect(row.removed_at).not.toBeNull();
      expect(row.deleted_at).toBeNull();
    });
  });
});
