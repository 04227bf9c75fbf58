import { Role } from '@/common/auth/auth-user';

interface Entry {
  userId: string;
  role: Role;
  expiresAt: number;
}

/**
 * Live sessions this process has validated recently (Redis or PostgreSQL said so), kept for a few seconds so that
 * checking an access token costs no network round trip. Bounded: past `max` entries the oldest go first.
 *
 * It answers only while `RevocationFeed` says it hears every revocation; it is emptied whenever that stops. `epoch`
 * moves on every revocation heard: a check that started before one may not store what it read (it may predate the
 * revocation), so a revocation racing a cache fill cannot leave a revoked session cached.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private currentEpoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0 && this.max > 0;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  get size(): number {
    return this.entries.size;
  }

  get(sessionId: string, now = Date.now()): { userId: string; role: Role } | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry;
  }

  /** Stores a live session read while the cache was at `epoch`; nothing when a revocation was heard since. */
  set(sessionId: string, userId: string, role: Role, epoch: number, now = Date.now()): boolean {
    if (!this.enabled || epoch !== this.currentEpoch) return false;
    // Re-inserted at the end: Map keeps insertion order, so the first key is always the oldest entry.
    this.entries.delete(sessionId);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(sessionId, { userId, role, expiresAt: now + this.ttlMs });
    return true;
  }

  delete(sessionIds: Iterable<string>): void {
    this.currentEpoch++;
    for (const id of sessionIds) this.entries.delete(id);
  }

  clear(): void {
    this.currentEpoch++;
    this.entries.clear();
  }
}
