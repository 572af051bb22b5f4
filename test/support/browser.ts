/**
 * A tiny browser for driving server-rendered pages with fetch: a cookie jar (name → value, as a
 * browser would send them back) and manual redirects, so each hop can be inspected.
 */
export interface PageResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The Location header, when the response is a redirect. */
  readonly location: string | undefined;
  readonly setCookies: readonly string[];
}

export class TestBrowser {
  readonly jar = new Map<string, string>();

  constructor(readonly origin: string) {}

  cookieHeader(): string | undefined {
    return this.jar.size === 0 ? undefined : [...this.jar].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  async get(pathOrUrl: string): Promise<PageResponse> {
    return this.send(pathOrUrl, { method: 'GET' });
  }

  /** Posts a form; a field given as an array is sent once per value (checkboxes). */
  async post(pathOrUrl: string, fields: Record<string, string | readonly string[]>): Promise<PageResponse> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const v of typeof value === 'string' ? [value] : value) body.append(name, v);
    }
    return this.send(pathOrUrl, { method: 'POST', body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** Follows redirects on this server; stops at a page or at a redirect leaving it (to the app). */
  async follow(response: PageResponse): Promise<PageResponse> {
    let current = response;
    while (current.location !== undefined && new URL(current.location, this.origin).origin === this.origin) {
      current = await this.get(current.location);
    }
    return current;
  }

  async send(pathOrUrl: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<PageResponse> {
    const cookie = this.cookieHeader();
    const res = await fetch(new URL(pathOrUrl, this.origin), {
      method: init.method,
      redirect: 'manual',
      headers: { ...init.headers, ...(cookie === undefined ? {} : { cookie }) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (attributes.some((a) => a.trim().toLowerCase() === 'max-age=0') || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), location: res.headers.get('location') ?? undefined, setCookies };
  }
}

/** The value of a hidden or text input on a page. */
export function inputValue(page: string, name: string): string | undefined {
  return new RegExp(`name="${name}"[^>]*value="([^"]*)"`).exec(page)?.[1];
}
