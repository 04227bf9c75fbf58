function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** `/cb` covers `/cb`, `/cb/` and `/cb/x`, not `/cbx`; a prefix ending in `/` covers everything below it. */
function pathIsUnder(path: string, prefix: string): boolean {
  if (prefix === '' || prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Whether `candidate` may receive a sign-in code: it must start with one of the allow-list's URL prefixes, compared
 * as parsed URLs (scheme, host and port exactly; the path under the prefix's path), never as strings, so
 * `https://app.example.com.evil.test/` or `https://app.example.com@evil.test/` do not pass for `https://app.example.com/`.
 * Parsing also resolves `..` and percent-encoded dot segments before the path is compared.
 */
export function isAllowedRedirect(candidate: string, allowlist: readonly string[]): boolean {
  const url = parseUrl(candidate);
  // Credentials or a fragment have no place in a redirect URI (RFC 6749 §3.1.2).
  if (!url || url.username || url.password || url.hash) return false;
  return allowlist.some((entry) => {
    const prefix = parseUrl(entry);
    return (
      prefix !== undefined &&
      prefix.protocol === url.protocol &&
      prefix.host === url.host &&
      pathIsUnder(url.pathname, prefix.pathname)
    );
  });
}
