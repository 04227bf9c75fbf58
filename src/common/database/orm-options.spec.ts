import { sslFromUrl } from './orm-options';

describe(sslFromUrl.name, () => {
  it('follows libpq sslmode', () => {
    expect(sslFromUrl('postgres://u@h/db')).toBe(false);
    expect(sslFromUrl('postgres://u@h/db?sslmode=disable')).toBe(false);
    expect(sslFromUrl('postgres://u@h/db?sslmode=require')).toEqual({ rejectUnauthorized: false });
    expect(sslFromUrl('postgres://u@h/db?sslmode=prefer')).toEqual({ rejectUnauthorized: false });
    expect(sslFromUrl('postgres://u@h/db?sslmode=verify-full')).toEqual({ rejectUnauthorized: true });
  });
});
