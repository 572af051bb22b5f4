import type { ClientScope } from '../auth/clients/client-registry.js';
import type { RegisteredClient } from '../auth/clients/client.js';
import { clientAccess, issueClientToken } from '../auth/oauth/grants/client-credentials.js';
import { RESEARCH_SCOPE } from '../auth/oauth/grants/research-partner.js';
import type { TokenEndpointDependencies } from '../auth/oauth/token-endpoint.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { FhirMethod } from '../rest/fhir-request.js';

export const DEBUG_METHODS: readonly FhirMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** What the developer asks the debugger to send. */
export interface DebugInput {
  readonly method: string;
  /** Under /fhir, with its query (`/fhir/Patient?name=…`). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** A data broker's organization (`; grp=` after the token). */
  readonly organization?: string | undefined;
}

/** What the FHIR API answered. */
export interface DebugAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body was longer than MAX_SHOWN_BODY and is cut there. */
  readonly truncated: boolean;
  readonly ms: number;
}

/** The request as Fastify's inject takes it (an in-process request through the whole HTTP stack). */
export interface InjectRequest {
  readonly method: FhirMethod;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
  readonly remoteAddress: string;
}

export interface InjectAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly payload: string;
}

export interface DebugDeps {
  /** Whether the caller may act for the client (its owner, or an admin); throws `not-found` otherwise. */
  readonly client: (clientId: string, scope: ClientScope) => Promise<RegisteredClient>;
  readonly tokenEndpoint: TokenEndpointDependencies;
  readonly inject: (request: InjectRequest) => Promise<InjectAnswer>;
}

export interface DebugCaller {
  readonly accountId: string;
  readonly ip: string;
}

export interface DebugRequests {
  run(clientId: string, scope: ClientScope, input: DebugInput, caller: DebugCaller): Promise<DebugAnswer>;
}

/** Seconds a debugger token lives: it is used once, in-process, and never shown. */
const TOKEN_SECONDS = 60;
const MAX_PATH = 4096;
export const MAX_DEBUG_BODY = 64 * 1024;
const MAX_SHOWN_BODY = 512 * 1024;
const MAX_HEADERS = 30;
const MAX_HEADER_TEXT = 8 * 1024;
/** RFC 9110 §5.1: a field name is a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** The application's credential is the debugger's to send: a developer's own would be another caller. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-auth-token', 'client_id']);
/** Framing and connection headers: the debugger's request sets them itself. */
const TRANSPORT_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect']);

/**
 * The portal's API debugger (docs/portal/portal-stats.md): sends a FHIR request as the
 * application, with an access token issued to it exactly as client_credentials would (its
 * registered scopes, no account), through the server's own HTTP stack in-process, so the access
 * engine, the application's filter, its consents and its statistics all apply as for the app.
 */
export function createDebugRequests(deps: DebugDeps): DebugRequests {
  const tokenFor = async (client: RegisteredClient, caller: DebugCaller) => {
    const { scopes } = clientAccess(client.type === 'research' ? RESEARCH_SCOPE : undefined, client, deps.tokenEndpoint);
    const { grant, issued } = await issueClientToken(deps.tokenEndpoint, client, { scopes, lifetime: TOKEN_SECONDS });
    deps.tokenEndpoint.record({
      kind: 'token-issue',
      outcome: 'success',
      clientId: client.id,
      accountId: caller.accountId,
      grantId: grant.id,
      ip: caller.ip,
      detail: { grant_type: 'portal-debugger', scope: issued.scope },
    });
    return issued.access_token;
  };

  return {
    async run(clientId, scope, input, caller) {
      // The client first: another developer's application is missing, whatever the input.
      const client = await deps.client(clientId, scope);
      const method = checkMethod(input.method);
      const url = checkPath(input.path);
      const headers = checkHeaders(input.headers);
      const body = input.body === undefined || input.body === '' ? undefined : input.body;
      if (body !== undefined) {
        if (method === 'GET' || method === 'DELETE') throw new FhirkeepError('bad-request', `A ${method} request has no body: clear the body, or choose POST, PUT or PATCH`);
        if (Buffer.byteLength(body) > MAX_DEBUG_BODY) throw new FhirkeepError('payload-too-large', `The debugger sends bodies up to ${MAX_DEBUG_BODY / 1024} KiB`);
      }
      const organization = input.organization?.trim() ?? '';
      if (client.revoked) throw new FhirkeepError('bad-request', 'This application is revoked: the server refuses all its requests');
      if (organization !== '' && client.type !== 'broker') throw new FhirkeepError('bad-request', 'Only a data broker acts for an organization');
      if (/[;,\s]/.test(organization)) throw new FhirkeepError('bad-request', 'The organization is one id or system|value, without spaces, commas or semicolons');
      const token = await tokenFor(client, caller);
      const started = performance.now();
      const answer = await deps.inject({
        method,
        url,
        headers: {
          accept: 'application/fhir+json',
          ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
          ...headers,
          authorization: `Bearer ${token}${organization === '' ? '' : `; grp=${organization}`}`,
        },
        ...(body === undefined ? {} : { payload: body }),
        remoteAddress: caller.ip,
      });
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const shown = answer.payload.length > MAX_SHOWN_BODY;
      return {
        status: answer.statusCode,
        headers: Object.fromEntries(
          Object.entries(answer.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : String(value)]])),
        ),
        body: shown ? answer.payload.slice(0, MAX_SHOWN_BODY) : answer.payload,
        truncated: shown,
        ms,
      };
    },
  };
}

function checkMethod(method: string): FhirMethod {
  const found = DEBUG_METHODS.find((m) => m === method.toUpperCase());
  if (found === undefined) throw new FhirkeepError('bad-request', `The method is one of ${DEBUG_METHODS.join(', ')}`);
  return found;
}

/** A path under /fhir, as a browser would resolve it (dot segments, backslashes): nothing else on this server. */
export function checkPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed.length > MAX_PATH) throw new FhirkeepError('bad-request', `The path is longer than ${MAX_PATH} characters`);
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) throw new FhirkeepError('bad-request', 'The path starts with /fhir (e.g. /fhir/Patient?name=smith)');
  let url: URL;
  try {
    url = new URL(trimmed, 'http://debugger.invalid');
  } catch {
    throw new FhirkeepError('bad-request', 'The path is not a valid URL path');
  }
  if (url.origin !== 'http://debugger.invalid' || !(url.pathname === '/fhir' || url.pathname.startsWith('/fhir/'))) {
    throw new FhirkeepError('bad-request', 'The debugger sends requests to the FHIR API only: the path starts with /fhir');
  }
  if (url.hash !== '') throw new FhirkeepError('bad-request', 'The path has a #fragment, which is never sent to a server');
  return `${url.pathname}${url.search}`;
}

function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) throw new FhirkeepError('bad-request', `The debugger sends up to ${MAX_HEADERS} headers`);
  if (entries.reduce((n, [k, v]) => n + k.length + v.length, 0) > MAX_HEADER_TEXT) throw new FhirkeepError('bad-request', `The headers are longer than ${MAX_HEADER_TEXT / 1024} KiB`);
  // A Map, not an object: a header named __proto__ must stay a header.
  const checked = new Map<string, string>();
  for (const [name, value] of entries) {
    const lower = name.toLowerCase();
    if (!FIELD_NAME.test(name)) throw new FhirkeepError('bad-request', `"${name}" is not a header name`);
    if (CONTROL.test(value)) throw new FhirkeepError('bad-request', `The ${name} header holds a control character`);
    if (CREDENTIAL_HEADERS.has(lower)) {
      throw new FhirkeepError('bad-request', `Remove the ${name} header: the debugger sends the application's own credential (an access token issued to it)`);
    }
    if (TRANSPORT_HEADERS.has(lower)) throw new FhirkeepError('bad-request', `Remove the ${name} header: the debugger sets it itself`);
    if (checked.has(lower)) throw new FhirkeepError('bad-request', `The ${name} header is given twice`);
    checked.set(lower, value.trim());
  }
  return Object.fromEntries(checked);
}

/** The form's headers, one `Name: value` per line (blank lines ignored). */
export function parseHeaderLines(text: string): Record<string, string> {
  const headers = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new FhirkeepError('bad-request', `Headers, line ${i + 1}: write a header as Name: value`);
    const name = line.slice(0, colon).trim();
    if (headers.has(name.toLowerCase())) throw new FhirkeepError('bad-request', `Headers, line ${i + 1}: ${name} is given twice`);
    headers.set(name.toLowerCase(), line.slice(colon + 1).trim());
  }
  return Object.fromEntries(headers);
}
