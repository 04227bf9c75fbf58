import { randomUUID } from 'node:crypto';
import { AppException } from '../errors/app.exception';
import { decodeCursor, encodeCursor } from './pagination';

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('decodeCursor', () => {
  it('reads back what encodeCursor wrote', () => {
    const key = { at: new Date('2026-01-02T03:04:05.678Z'), id: randomUUID() };
    expect(decodeCursor(encodeCursor(key))).toEqual(key);
  });

  it.each([
    ['garbage', 'garbage!!'],
    ['a bad id', cursorOf('2024-01-01T00:00:00.000Z|not-a-uuid')],
    ['a bad date', cursorOf(`not-a-date|${randomUUID()}`)],
    // Valid JavaScript dates PostgreSQL cannot take: they must not reach the query.
    ['a date before year 1', cursorOf(`-271821-04-20T00:00:00.000Z|${randomUUID()}`)],
    ['year 0', cursorOf(`0000-01-01T00:00:00.000Z|${randomUUID()}`)],
    ['a date after year 9999', cursorOf(`+275760-09-13T00:00:00.000Z|${randomUUID()}`)],
    ['a date without milliseconds', cursorOf(`2024-01-01T00:00:00Z|${randomUUID()}`)],
  ])('refuses a cursor with %s as validation_failed', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(AppException);
  });
});
