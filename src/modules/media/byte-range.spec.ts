import { parseRange } from './byte-range';

describe(parseRange.name, () => {
  it('reads a closed range, clamping its end to the file', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-2000', 1000)).toEqual({ start: 900, end: 999 });
  });

  it('reads an open range and a suffix', () => {
    expect(parseRange('bytes=10-', 1000)).toEqual({ start: 10, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('answers unsatisfiable for a start past the end or an empty suffix', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
  });

  it('ignores what it does not serve: no header, other units, several ranges, reversed or malformed ranges', () => {
    for (const header of [undefined, '', 'items=0-1', 'bytes=0-1,5-9', 'bytes=9-1', 'bytes=-', 'bytes=a-b']) {
      expect(parseRange(header, 1000)).toBeUndefined();
    }
  });
});
