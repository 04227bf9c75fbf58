import { column, value } from '@/common/database/sql-fragment';
import { follows, notBlockedEitherWay, notBlockedOrMuted, notMuted } from './social.predicates';

/** Every `?` has its value, in order. */
const balanced = (f: { sql: string; params: readonly unknown[] }) => f.sql.split('?').length - 1 === f.params.length;

describe(follows.name, () => {
  it('probes the (follower, followed) pair with a viewer value and an author column', () => {
    const f = follows(value('viewer'), column('p.user_id'));
    expect(f).toEqual({ sql: 'exists (select 1 from follows fol where fol.follower_id = ? and fol.following_id = p.user_id)', params: ['viewer'] });
  });
});

describe(notMuted.name, () => {
  it('probes the (muter, muted) pair with a viewer value and an author column', () => {
    const f = notMuted(value('viewer'), column('p.user_id'));
    expect(f).toEqual({ sql: 'not exists (select 1 from mutes mut where mut.muter_id = ? and mut.muted_id = p.user_id)', params: ['viewer'] });
  });
});

describe(notBlockedEitherWay.name, () => {
  it('checks both directions, binding the value once per use', () => {
    const f = notBlockedEitherWay(value('viewer'), column('p.user_id'));
    expect(f.sql).toBe(
      'not exists (select 1 from blocks blk where (blk.blocker_id = ? and blk.blocked_id = p.user_id) or (blk.blocker_id = p.user_id and blk.blocked_id = ?))',
    );
    expect(f.params).toEqual(['viewer', 'viewer']);
  });
});

describe(notBlockedOrMuted.name, () => {
  it('is both filters, with the viewer as a column and the author as a value just as well (notification fan-out)', () => {
    const f = notBlockedOrMuted(column('r.id'), value('creator'));
    expect(f.sql).toContain('blk.blocker_id = r.id and blk.blocked_id = ?');
    expect(f.sql).toContain('mut.muter_id = r.id and mut.muted_id = ?');
    expect(f.params).toEqual(['creator', 'creator', 'creator']);
    expect(balanced(f)).toBe(true);
  });
});
