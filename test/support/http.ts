export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, or undefined when there is none. */
  // Tests read arbitrary members of FHIR JSON; a precise type would only restate each assertion.
  readonly json: any;
}

export interface SendOptions {
  readonly body?: unknown;
  /** Raw body text, sent as is (for malformed input). */
  readonly raw?: string;
  readonly headers?: Record<string, string>;
}

export type HttpClient = (method: string, path: string, options?: SendOptions) => Promise<HttpResult>;

/** A tiny HTTP client for tests that need to send exactly what a careless client would. */
export function httpClient(base: string): HttpClient {
  return async (method: string, path: string, options: SendOptions = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = { accept: 'application/fhir+json', ...options.headers };
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/fhir+json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
}
