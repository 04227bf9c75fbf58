import { parseIsoDateTime } from './iso-date-time';

describe(parseIsoDateTime.name, () => {
  it.each([
    ['2030-01-02T03:04:05Z', '2030-01-02T03:04:05.000Z'],
    ['2030-01-02T03:04:05.678+02:00', '2030-01-02T01:04:05.678Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    // RFC 3339 years start at 0001; validator's strict check read 0001-0099 as 1901-1999 and refused them.
    ['0001-01-01T00:00:00.027Z', '0001-01-01T00:00:00.027Z'],
    ['0099-12-31T23:59:59Z', '0099-12-31T23:59:59.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s', (text, iso) => {
    expect(parseIsoDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each(['2023-02-29T00:00:00Z', '2024-13-45T25:61:00Z', '2030-04-31T00:00:00Z', 'next tuesday', '1767225600000', '', 'true'])('refuses %j', (text) => {
    expect(parseIsoDateTime(text)).toBeUndefined();
  });
});
