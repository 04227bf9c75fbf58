import { randomBytes, randomUUID } from 'node:crypto';
import { AccountDeletion } from '@/modules/accounts/entities/account-deletion.entity';
import { LIST_PROBE_LIMIT } from '@/modules/lists/list-timeline.service';
import { ListsService } from '@/modules/lists/lists.service';
import { expectProblem } from '../factories/http';
import { allPages, as, createPost, follow, ids, PostBody, signedInUsers, subscribe, suspend, unlock } from '../factories/posts';
import { keysOf, PASSWORD, PUBLIC_USER_KEYS, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { waitFor } from '../support/wait';

interface ListBody {
  id: string;
  name: string;
  members_count: number;
  created_at: string;
  updated_at: string;
}

describe('Lists', () => {
  const t = useTestApp({ redisScope: 'lists' });

  async function createList(owner: SignedInUser, name = 'friends'): Promise<ListBody> {
    return (await as(t, owner).post('/lists', { name }).expect(201)).body as ListBody;
  }

  async function addMembers(owner: SignedInUser, list: ListBody, members: { username: string }[]): Promise<ListBody> {
    return (await as(t, owner).post(`/lists/${list.id}/members`, { usernames: members.map((m) => m.username) }).expect(200)).body as ListBody;
  }

  /** `count` accounts written straight into `users` (no sign-in needed): for the 5,000-member limit. */
  async function bulkUsers(count: number): Promise<string[]> {
    const tag = randomBytes(4).toString('hex');
    const rows = await t.sql<{ id: string }>(
      `insert into users (id, username, email) select gen_random_uuid(), 'bulk_' || ? || '_' || i, 'bulk_' || ? || '_' || i || '@example.test'
         from generate_series(1, ?) i returning id`,
      [tag, tag, count],
    );
    return rows.map((r) => r.id);
  }

  describe('CRUD', () => {
    it('creates, lists newest first, renames and deletes own lists; names are 1-50 printable characters', async () => {
      const [owner] = await signedInUsers(t, 1);
      const first = await createList(owner, 'Close friends');
      expect(keysOf(first)).toEqual(['created_at', 'id', 'members_count', 'name', 'updated_at']);
      expect(first).toMatchObject({ name: 'Close friends', members_count: 0 });
      const second = await createList(owner, 'x'.repeat(50));

      const page = await as(t, owner).get('/lists').expect(200);
      expect(page.body).toEqual({ data: [second, first], next_cursor: null });
      const paged = await as(t, owner).get('/lists?limit=1').expect(200);
      expect(ids(paged.body)).toEqual([second.id]);
      expect(paged.headers.link).toContain(`cursor=${paged.body.next_cursor}`);
      expect(ids((await as(t, owner).get(`/lists?limit=1&cursor=${paged.body.next_cursor}`).expect(200)).body)).toEqual([first.id]);

      const renamed = await as(t, owner).patch(`/lists/${first.id}`, { name: 'Fans' }).expect(200);
      expect(renamed.body).toMatchObject({ id: first.id, name: 'Fans' });
      expect((await as(t, owner).get(`/lists/${first.id}`).expect(200)).body.name).toBe('Fans');

      await as(t, owner).delete(`/lists/${first.id}`).expect(204);
      expectProblem(await as(t, owner).get(`/lists/${first.id}`), 404, 'not_found');
      expect(ids((await as(t, owner).get('/lists').expect(200)).body)).toEqual([second.id]);

      for (const name of ['', '   ', ' padded', 'x'.repeat(51), 'tab\there', 42]) expectProblem(await as(t, owner).post('/lists', { name }), 400, 'validation_failed');
      expectProblem(await as(t, owner).post('/lists', { name: 'ok', extra: true }), 400, 'validation_failed');
      expectProblem(await as(t, owner).get('/lists/not-a-uuid'), 400, 'validation_failed');
      expectProblem(await as(t).get('/lists'), 401, 'unauthorized');
    });

    it('adds and removes members by username (any case), all or nothing, and pages them newest first', async () => {
      const [owner, a, b, c, blocker, blocked] = await signedInUsers(t, 6);
      const gone = await signedInUsers(t, 1).then(([u]) => u);
      await suspend(t, gone);
      await as(t, blocker).post(`/users/${owner.username}/block`).expect(200);
      await as(t, owner).post(`/users/${blocked.username}/block`).expect(200);
      const list = await createList(owner);

      expect(await addMembers(owner, list, [a, { username: b.username.toUpperCase() }])).toMatchObject({ members_count: 2 });
      // Again, with one more: those already on the list stay as they are.
      expect(await addMembers(owner, list, [a, c])).toMatchObject({ members_count: 3 });

      // Unknown, suspended, yourself, across a block either way: 422 naming each, and nothing added.
      const refused = await as(t, owner).post(`/lists/${list.id}/members`, {
        usernames: [b.username, 'nobody_' + randomBytes(4).toString('hex'), gone.username, owner.username, blocker.username, blocked.username],
      });
      expectProblem(refused, 422, 'validation_failed');
      expect(refused.body.errors).toHaveLength(5);
      expect((await as(t, owner).get(`/lists/${list.id}`).expect(200)).body.members_count).toBe(3);

      const members = await as(t, owner).get(`/lists/${list.id}/members`).expect(200);
      expect(members.body.data.map((u: { id: string }) => u.id)).toEqual([c.id, expect.any(String), expect.any(String)]);
      expect(new Set(members.body.data.map((u: { id: string }) => u.id))).toEqual(new Set([a.id, b.id, c.id]));
      expect(keysOf(members.body.data[0])).toEqual(PUBLIC_USER_KEYS);
      const pages = await allPages<{ id: string }>(as(t, owner), `/lists/${list.id}/members`, 1);
      expect(pages.flat().map((u) => u.id)).toEqual(members.body.data.map((u: { id: string }) => u.id));

      // Removing ignores names that are not on the list.
      const removed = await as(t, owner).delete(`/lists/${list.id}/members`).send({ usernames: [a.username.toUpperCase(), owner.username, 'nobody_x'] }).expect(200);
      expect(removed.body.members_count).toBe(2);
      expect(ids((await as(t, owner).get(`/lists/${list.id}/members`).expect(200)).body).sort()).toEqual([b.id, c.id].sort());

      for (const body of [{}, { usernames: [] }, { usernames: ['bad name'] }, { usernames: [a.username], more: 1 }, { usernames: Array(5001).fill('x') }]) {
        expectProblem(await as(t, owner).post(`/lists/${list.id}/members`, body), 400, 'validation_failed');
      }
    });

    it('hides members across a later block and suspended members from the members page; they stay counted until removed', async () => {
      const [owner, a, b, c] = await signedInUsers(t, 4);
      const list = await createList(owner);
      await addMembers(owner, list, [a, b, c]);
      await as(t, a).post(`/users/${owner.username}/block`).expect(200);
      await suspend(t, b);
      const page = await as(t, owner).get(`/lists/${list.id}/members`).expect(200);
      expect(ids(page.body)).toEqual([c.id]);
      expect((await as(t, owner).get(`/lists/${list.id}`).expect(200)).body.members_count).toBe(3);
      // A suspended account can still be removed by name.
      expect((await as(t, owner).delete(`/lists/${list.id}/members`).send({ usernames: [b.username] }).expect(200)).body.members_count).toBe(2);
    });
  });

  describe('privacy', () => {
    it("answers another account's list as a missing one on every route", async () => {
      const [owner, other, member] = await signedInUsers(t, 3);
      const list = await createList(owner);
      await addMembers(owner, list, [member]);
      const theirs = as(t, other);
      for (const id of [list.id, randomUUID()]) {
        expectProblem(await theirs.get(`/lists/${id}`), 404, 'not_found');
        expectProblem(await theirs.patch(`/lists/${id}`, { name: 'mine now' }), 404, 'not_found');
        expectProblem(await theirs.get(`/lists/${id}/members`), 404, 'not_found');
        expectProblem(await theirs.post(`/lists/${id}/members`, { usernames: [other.username] }), 404, 'not_found');
        expectProblem(await theirs.delete(`/lists/${id}/members`).send({ usernames: [member.username] }), 404, 'not_found');
        expectProblem(await theirs.get(`/timelines/list/${id}`), 404, 'not_found');
        expectProblem(await theirs.delete(`/lists/${id}`), 404, 'not_found');
      }
      expect((await theirs.get('/lists').expect(200)).body.data).toEqual([]);
      // Untouched by all of that.
      expect((await as(t, owner).get(`/lists/${list.id}`).expect(200)).body).toMatchObject({ name: 'friends', members_count: 1 });
      await expect(t.app.get(ListsService).memberIdBatch(other.id, list.id, null, 10)).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('limits under concurrency', () => {
    it('holds at most 50 lists per account when creations race', async () => {
      const [owner] = await signedInUsers(t, 1);
      await t.sql(`insert into lists (id, owner_id, name) select gen_random_uuid(), ?, 'seeded ' || i from generate_series(1, 45) i`, [owner.id]);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => as(t, owner).post('/lists', { name: `race ${i}` })));
      expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
      for (const refused of answers.filter((r) => r.status !== 201)) expectProblem(refused, 422, 'validation_failed');
      const [{ n }] = await t.sql<{ n: number }>('select count(*)::int as n from lists where owner_id = ?', [owner.id]);
      expect(n).toBe(50);
    });

    it('holds at most 5,000 members per list when additions race, and the count stays exact', async () => {
      const [owner] = await signedInUsers(t, 1);
      const list = await createList(owner);
      const seeded = await bulkUsers(4995);
      await t.sql(`insert into list_members (list_id, member_id) select ?, unnest(?::uuid[])`, [list.id, `{${seeded.join(',')}}`]);
      await t.sql('update lists set members_count = 4995 where id = ?', [list.id]);
      const racers = await signedInUsers(t, 10);
      const answers = await Promise.all(racers.map((r) => as(t, owner).post(`/lists/${list.id}/members`, { usernames: [r.username] })));
      expect(answers.filter((r) => r.status === 200)).toHaveLength(5);
      for (const refused of answers.filter((r) => r.status !== 200)) expectProblem(refused, 422, 'validation_failed');
      const [{ n }] = await t.sql<{ n: number }>('select count(*)::int as n from list_members where list_id = ?', [list.id]);
      expect(n).toBe(5000);
      expect((await as(t, owner).get(`/lists/${list.id}`).expect(200)).body.members_count).toBe(5000);

      // Removals racing additions leave the count equal to the rows.
      const out = racers.filter((_, i) => answers[i].status === 200).map((r) => r.username);
      await Promise.all([
        as(t, owner).delete(`/lists/${list.id}/members`).send({ usernames: out }),
        ...racers.map((r) => as(t, owner).post(`/lists/${list.id}/members`, { usernames: [r.username] })),
      ]);
      const [{ rows }] = await t.sql<{ rows: number }>('select count(*)::int as rows from list_members where list_id = ?', [list.id]);
      expect((await as(t, owner).get(`/lists/${list.id}`).expect(200)).body.members_count).toBe(rows);
      expect(rows).toBeLessThanOrEqual(5000);

      // The segment's batches walk every member once, in id order.
      const service = t.app.get(ListsService);
      const walked: string[] = [];
      for (let after: string | null = null; ; ) {
        const batch: string[] = await service.memberIdBatch(owner.id, list.id, after, 1000);
        if (!batch.length) break;
        walked.push(...batch);
        after = batch[batch.length - 1];
      }
      expect(walked).toHaveLength(rows);
      expect(new Set(walked).size).toBe(rows);
      expect([...walked].sort()).toEqual(walked);
    }, 60_000);
  });

  describe('GET /timelines/list/:id', () => {
    it("holds the members' posts and reposts the owner may see, newest first, as the home timeline renders them", async () => {
      const [owner, member, creator, stranger, reposter] = await signedInUsers(t, 5);
      await follow(t, owner, creator);
      await subscribe(t, owner, creator);
      const list = await createList(owner);
      await addMembers(owner, list, [member, creator, reposter]);

      const open = await createPost(t, member, 'open');
      await createPost(t, stranger, 'not a member');
      const forFollowers = await createPost(t, member, { content: 'followers of member', visibility: 'followers' });
      const followersOfCreator = await createPost(t, creator, { content: 'followers of creator', visibility: 'followers' });
      const forSubscribers = await createPost(t, creator, { content: 'subscribers', visibility: 'subscribers' });
      const subscriberPremium = await createPost(t, creator, { content: 'premium for subscribers', is_premium: true });
      const payPerView = await createPost(t, member, { content: 'pay per view', price_cents: 500, preview: 'teaser' });
      const bought = await createPost(t, member, { content: 'bought', price_cents: 500 });
      await unlock(t, owner, bought);
      const mine = await createPost(t, owner, 'the owner is no member');
      await as(t, reposter).post(`/posts/${open.id}/repost`).expect(200);

      const page = (await as(t, owner).get(`/timelines/list/${list.id}`).expect(200)).body as { data: PostBody[]; next_cursor: string | null };
      expect(page.next_cursor).toBeNull();
      expect(page.data.map((p) => p.repost_of?.id ?? p.id)).toEqual([open.id, bought.id, payPerView.id, subscriberPremium.id, forSubscribers.id, followersOfCreator.id, open.id]);
      const byId = new Map(page.data.filter((p) => !p.repost_of).map((p) => [p.id, p]));
      expect(byId.get(payPerView.id)).toMatchObject({ locked: true, content: null, content_html: null, preview: 'teaser' });
      expect(byId.get(bought.id)).toMatchObject({ locked: false, content: 'bought' });
      expect(byId.get(subscriberPremium.id)).toMatchObject({ locked: false, content: 'premium for subscribers' });
      expect(ids(page)).not.toContain(forFollowers.id);
      expect(ids(page)).not.toContain(mine.id);

      // Without the subscription: subscriber-only posts are gone and the premium one is locked, as on home.
      await t.sql('delete from subscriptions where subscriber_id = ?', [owner.id]);
      const after = (await as(t, owner).get(`/timelines/list/${list.id}`).expect(200)).body as { data: PostBody[] };
      expect(ids(after)).not.toContain(forSubscribers.id);
      expect(after.data.find((p) => p.id === subscriberPremium.id)).toMatchObject({ locked: true, content: null });
    });

    for (const size of ['few', 'many'] as const) {
      it(`leaves out blocked, muted and suspended members and reposts of muted authors (${size} members), with exact cursor pages`, async () => {
        const [owner, blocked, blocker, muted, suspended, reposter, ...others] = await signedInUsers(t, size === 'few' ? 8 : 8);
        const list = await createList(owner);
        const members = [blocked, blocker, muted, suspended, reposter, ...others];
        await addMembers(owner, list, members);
        if (size === 'many') {
          const filler = await bulkUsers(LIST_PROBE_LIMIT + 5);
          await t.sql(`insert into list_members (list_id, member_id) select ?, unnest(?::uuid[])`, [list.id, `{${filler.join(',')}}`]);
          await t.sql('update lists set members_count = members_count + ? where id = ?', [filler.length, list.id]);
        }
        const hidden = [
          await createPost(t, blocked, 'blocked'),
          await createPost(t, blocker, 'blocker'),
          await createPost(t, muted, 'muted'),
          await createPost(t, suspended, 'suspended'),
        ];
        const mutedOriginal = await createPost(t, muted, 'muted, reposted');
        await as(t, reposter).post(`/posts/${mutedOriginal.id}/repost`).expect(200);
        const shown: PostBody[] = [];
        for (let i = 0; i < 7; i++) shown.push(await createPost(t, others[i % others.length], `shown ${i}`));
        shown.push(await createPost(t, reposter, 'reposter own'));
        await as(t, owner).post(`/users/${blocked.username}/block`).expect(200);
        await as(t, blocker).post(`/users/${owner.username}/block`).expect(200);
        await as(t, owner).post(`/users/${muted.username}/mute`).expect(200);
        await suspend(t, suspended);

        const pages = await allPages(as(t, owner), `/timelines/list/${list.id}`, 3);
        const seen = pages.flat();
        expect(seen.map((p) => p.id)).toEqual([...shown].reverse().map((p) => p.id));
        expect(pages.slice(0, -1).every((p) => p.length === 3)).toBe(true);
        for (const post of hidden) expect(seen.map((p) => p.id)).not.toContain(post.id);
        expect(seen.some((p) => p.repost_of?.id === mutedOriginal.id)).toBe(false);

        // Pages neither repeat nor skip while posts arrive.
        const first = await as(t, owner).get(`/timelines/list/${list.id}?limit=3`).expect(200);
        expect(first.headers.link).toContain(`cursor=${first.body.next_cursor}`);
        const arrived = await createPost(t, others[0], 'arrived');
        const rest: PostBody[] = [];
        for (let cursor: string | null = first.body.next_cursor; cursor; ) {
          const res = await as(t, owner).get(`/timelines/list/${list.id}?limit=3&cursor=${cursor}`).expect(200);
          rest.push(...(res.body.data as PostBody[]));
          cursor = res.body.next_cursor;
        }
        const walked = [...first.body.data, ...rest].map((p: PostBody) => p.id);
        expect(walked).toEqual([...shown].reverse().map((p) => p.id));
        expect(ids((await as(t, owner).get(`/timelines/list/${list.id}?limit=1`).expect(200)).body)).toEqual([arrived.id]);
      }, 60_000);
    }
  });

  describe('account deletion', () => {
    it("removes the deleted account's lists and its memberships of other lists, their counts lowered", async () => {
      const [owner, member, other] = await signedInUsers(t, 3);
      const own = await createList(owner);
      await addMembers(owner, own, [member, other]);
      const othersList = await createList(other);
      await addMembers(other, othersList, [owner, member]);

      await as(t, owner).delete('/me').send({ current_password: PASSWORD }).expect(202);
      await waitFor(() => t.em().findOne(AccountDeletion, { userId: owner.id }), (d) => !!d?.erasedAt, 30_000);

      const [{ lists }] = await t.sql<{ lists: number }>('select count(*)::int as lists from lists where owner_id = ?', [owner.id]);
      const [{ memberships }] = await t.sql<{ memberships: number }>('select count(*)::int as memberships from list_members where member_id = ?', [owner.id]);
      expect({ lists, memberships }).toEqual({ lists: 0, memberships: 0 });
      const left = await as(t, other).get(`/lists/${othersList.id}`).expect(200);
      expect(left.body.members_count).toBe(1);
      expect(ids((await as(t, other).get(`/lists/${othersList.id}/members`).expect(200)).body)).toEqual([member.id]);
    }, 60_000);
  });
});
