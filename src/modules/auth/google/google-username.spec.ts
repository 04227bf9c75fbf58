import { usernameBase, usernameWithDigits } from './google-username';

const VALID = /^[A-Za-z0-9_]{3,30}$/;

describe(usernameBase.name, () => {
  it.each([
    [{ name: 'Jane Doe', email: 'jane@example.com' }, 'Jane_Doe'],
    [{ name: 'José Núñez-García', email: 'jose@example.com' }, 'Jose_Nunez_Garcia'],
    [{ name: "  D'Angelo  O.  ", email: 'x@example.com' }, 'D_Angelo_O'],
    [{ name: '李雷', email: 'li.lei+news@example.com' }, 'li_lei_news'],
    [{ name: 'Al', email: 'albert.smith@example.com' }, 'albert_smith'],
    [{ email: 'bob@example.com' }, 'bob'],
    [{ name: '🙂', email: '李@example.com' }, 'user'],
    [{}, 'user'],
  ])('derives a valid name from %p', (profile, expected) => {
    const base = usernameBase(profile);
    expect(base).toBe(expected);
    expect(base).toMatch(VALID);
  });

  it('keeps at most 30 characters, without a trailing underscore', () => {
    const base = usernameBase({ name: 'Maximilian Alexander Christopher Montgomery' });
    expect(base).toMatch(VALID);
    expect(base).toBe('Maximilian_Alexander_Christoph');
    expect(usernameBase({ name: `${'a'.repeat(29)} b` })).toBe('a'.repeat(29));
  });
});

describe(usernameWithDigits.name, () => {
  it('appends digits and stays within 30 characters', () => {
    expect(usernameWithDigits('jane', 4)).toMatch(/^jane\d{4}$/);
    const long = usernameWithDigits('a'.repeat(30), 6);
    expect(long).toMatch(/^a{24}\d{6}$/);
    expect(long).toMatch(VALID);
  });
});
