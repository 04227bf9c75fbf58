import { v7 } from 'uuid';
import { firstUuidV7At } from './outbox-events.repository';

describe(firstUuidV7At.name, () => {
  it('sorts after every UUID v7 of the millisecond before and before every one of its own', () => {
    const at = new Date('2026-12-03T10:00:00.123Z');
    const bound = firstUuidV7At(at);
    expect(bound).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7000-8000-000000000000$/);
    for (let i = 0; i < 50; i++) {
      expect(v7({ msecs: at.getTime() - 1 }) < bound).toBe(true);
      expect(v7({ msecs: at.getTime() }) >= bound).toBe(true);
    }
  });
});
