/** The value of one cookie in a Cookie header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

export interface CookieOptions {
  readonly path: string;
  /** Secure when the public base URL is https (a cookie sent over plain HTTP could be read on the way). */
  readonly secure: boolean;
  /** Seconds; omitted: the cookie ends with the browser session; 0: delete it. */
  readonly maxAge?: number;
}

/**
 * A Set-Cookie value (RFC 6265 §4.1). Always HttpOnly (no script reads it) and SameSite=Lax:
 * sent on the top-level navigation from an app to /oauth2/authorize, never on a cross-site POST.
 */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${options.path}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}
