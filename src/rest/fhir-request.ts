import type { AccessScope } from '../access/scope.js';

export type FhirMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A FHIR interaction as the router sees it, free of any HTTP library: the adapter builds it,
 * so the router and its handlers can be driven directly by tests, the CLI and batch entries.
 */
export interface FhirRequest {
  readonly method: FhirMethod;
  /** Path below the FHIR base without leading slash, e.g. `Patient/1/_history/2` ('' for the base). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Raw request body text; the router parses it so every transport gets the same errors. */
  readonly body: string | undefined;
  /** Media type of the body without parameters (e.g. `application/json-patch+json`). */
  readonly contentType: string | undefined;
  readonly headers: FhirRequestHeaders;
  readonly scope: AccessScope;
  /**
   * For a create inside a transaction: the id chosen before any entry ran, so `urn:uuid:`
   * references could be rewritten to it (R4 §3.1.0.11.2). Never set from HTTP.
   */
  readonly assignedId?: string;
  /**
   * Parameters the transport took out of the query before routing (a research partner's
   * `researchstudy`) that every link of the answer must carry again, or following it would fail.
   */
  readonly linkParams?: URLSearchParams;
  /** Where the request came from, for its audit row (docs/audit.md); absent for internal callers. */
  readonly origin?: RequestOrigin;
}

export interface RequestOrigin {
  /** The id the request's log lines and its `X-Request-Id` answer carry. */
  readonly requestId: string;
  readonly ip: string;
}

export interface FhirRequestHeaders {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
  readonly ifNoneExist?: string;
  readonly ifModifiedSince?: string;
  readonly prefer?: string;
}

/**
 * A response body. `raw` is JSON text straight from storage (reads never re-serialise);
 * `json` is a value the adapter serialises once.
 */
export type FhirBody = { readonly kind: 'raw'; readonly text: string } | { readonly kind: 'json'; readonly value: unknown };

export interface FhirResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: FhirBody;
}
