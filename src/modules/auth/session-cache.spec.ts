import { SessionCache } from './session-cache';

describe('SessionCache', () => {
  const T0 = 1_000_000;

  it('answers a stored session until its time is up, counted from the check that filled it', () => {
    const cache = new SessionCache(5000, 10);
    expect(cache.set('s1', 'u1', 'user', cache.epoch, T0)).toBe(true);
    expect(cache.get('s1', T0 + 4999)).toMatchObject({ userId: 'u1', role: 'user' });
    expect(cache.get('s1', T0 + 5000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('refuses to store what was read before a revocation was heard (the read may predate it)', () => {
    const cache = new SessionCache(5000, 10);
    const mark = cache.epoch;
    cache.delete(['some-other-session']);
    expect(cache.set('s1', 'u1', 'user', mark, T0)).toBe(false);
    expect(cache.get('s1', T0)).toBeUndefined();
    const cleared = cache.epoch;
    cache.clear();
    expect(cache.set('s1', 'u1', 'user', cleared, T0)).toBe(false);
    expect(cache.set('s1', 'u1', 'user', cache.epoch, T0)).toBe(true);
  });

  it('drops revoked sessions and, on clear, everything', () => {
    const cache = new SessionCache(5000, 10);
    for (const id of ['s1', 's2', 's3']) cache.set(id, 'u', 'user', cache.epoch, T0);
    cache.delete(['s2']);
    expect(['s1', 's2', 's3'].map((id) => !!cache.get(id, T0))).toEqual([true, false, true]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('holds at most `max` sessions, dropping the oldest first', () => {
    const cache = new SessionCache(5000, 3);
    for (const id of ['s1', 's2', 's3']) cache.set(id, 'u', 'user', cache.epoch, T0);
    cache.set('s1', 'u', 'admin', cache.epoch, T0 + 1); // refreshed: now the newest
    cache.set('s4', 'u', 'user', cache.epoch, T0 + 2);
    expect(cache.size).toBe(3);
    expect(['s1', 's2', 's3', 's4'].map((id) => !!cache.get(id, T0 + 3))).toEqual([true, false, true, true]);
    expect(cache.get('s1', T0 + 3)?.role).toBe('admin');
  });

  it('stores nothing when disabled (SESSION_CACHE_TTL_MS=0)', () => {
    const cache = new SessionCache(0, 10);
    expect(cache.enabled).toBe(false);
    expect(cache.set('s1', 'u1', 'user', cache.epoch, T0)).toBe(false);
    expect(cache.get('s1', T0)).toBeUndefined();
  });
});
