import { isAllowedRedirect } from './redirect-allowlist';

describe(isAllowedRedirect.name, () => {
  const allowlist = ['https://app.example.com/auth/done', 'x18app://signin/', 'http://localhost:5173/'];

  it.each([
    'https://app.example.com/auth/done',
    'https://app.example.com/auth/done?from=menu',
    'https://app.example.com/auth/done/mobile',
    'HTTPS://APP.EXAMPLE.COM/auth/done',
    'https://app.example.com:443/auth/done',
    'x18app://signin/callback',
    'http://localhost:5173/',
    'http://localhost:5173/any/path',
  ])('allows %s', (candidate) => {
    expect(isAllowedRedirect(candidate, allowlist)).toBe(true);
  });

  it.each([
    ['another host', 'https://evil.test/auth/done'],
    ['a look-alike host', 'https://app.example.com.evil.test/auth/done'],
    ['credentials before the host', 'https://app.example.com@evil.test/auth/done'],
    ['credentials', 'https://user:pass@app.example.com/auth/done'],
    ['another scheme', 'http://app.example.com/auth/done'],
    ['another port', 'https://app.example.com:8443/auth/done'],
    ['a path beside the prefix', 'https://app.example.com/auth/done-evil'],
    ['a path outside the prefix', 'https://app.example.com/auth'],
    ['dot segments leaving the prefix', 'https://app.example.com/auth/done/../../admin'],
    ['encoded dot segments leaving the prefix', 'https://app.example.com/auth/done/%2e%2e/%2E%2E/admin'],
    ['a fragment', 'https://app.example.com/auth/done#code'],
    ['another custom scheme', 'evil://signin/callback'],
    ['a relative URL', '/auth/done'],
    ['no URL at all', 'not a url'],
    ['a javascript: URL', 'javascript:alert(1)//https://app.example.com/auth/done'],
  ])('refuses %s', (_why, candidate) => {
    expect(isAllowedRedirect(candidate, allowlist)).toBe(false);
  });

  it('refuses everything when the allow-list is empty', () => {
    expect(isAllowedRedirect('https://app.example.com/auth/done', [])).toBe(false);
  });

  it('ignores malformed allow-list entries', () => {
    expect(isAllowedRedirect('https://app.example.com/x', ['not a url', 'https://app.example.com/'])).toBe(true);
  });
});
