import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { RegisteredClient } from '../../clients/client.js';
import type { AuthorizeParams } from './authorize-params.js';
import { PROMPTS } from './pending-request.js';

export interface CheckInput {
  readonly params: AuthorizeParams;
  readonly client: RegisteredClient;
  readonly fhirBase: string;
}

/** One rule an authorization request must meet once its redirect URI is trusted. */
export interface RequestCheck {
  readonly name: string;
  /** The error to redirect with (RFC 6749 §4.1.2.1), or undefined when the request passes. */
  readonly check: (input: CheckInput) => FhirkeepError | undefined;
}

/** Longest value any parameter may have: enough for any real state, nonce or scope list. */
const MAX_PARAM_LENGTH = 4096;

/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is exactly 43 characters of the base64url alphabet. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const refuse = (message: string): FhirkeepError => new FhirkeepError('invalid-request', message);

/** Trailing slashes aside (apps differ), `aud` must be this server's FHIR base. */
const sameBase = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The checks in order; the first failure is the one reported. */
export const REQUEST_CHECKS: readonly RequestCheck[] = [
  {
    name: 'each parameter once',
    // RFC 6749 §3.1: request parameters MUST NOT be included more than once.
    check: ({ params }) =>
      params.duplicates.size === 0 ? undefined : refuse(`Parameters given more than once: ${[...params.duplicates].join(', ')}`),
  },
  {
    name: 'parameter length',
    check: ({ params }) => {
      const long = [...params.values].find(([, value]) => value.length > MAX_PARAM_LENGTH);
      return long === undefined ? undefined : refuse(`The parameter ${long[0]} is longer than ${MAX_PARAM_LENGTH} characters`);
    },
  },
  {
    name: 'no NUL character',
    // The pending request is stored as jsonb, which cannot hold U+0000: refuse it here, not in a query.
    check: ({ params }) => {
      const nul = [...params.values].find(([, value]) => value.includes('\0'));
      return nul === undefined ? undefined : refuse(`The parameter ${nul[0]} contains a NUL character`);
    },
  },
  {
    name: 'client may use the authorization code flow',
    // RFC 6749 §4.1.2.1 unauthorized_client: backend services and brokers have no user to ask.
    check: ({ client }) =>
      client.type === 'smart' ? undefined : new FhirkeepError('unauthorized-client', 'This application may not use the authorization code flow'),
  },
  {
    name: 'response_type is code',
    // RFC 6749 §4.1.1; SMART App Launch 2.x supports only the code flow.
    check: ({ params }) => {
      const type = params.values.get('response_type');
      if (type === undefined) return refuse('response_type is required');
      return type === 'code' ? undefined : new FhirkeepError('unsupported-response-type', 'Only response_type=code is supported');
    },
  },
  {
    name: 'response_mode is query',
    // OAuth 2.0 Multiple Response Type Encoding Practices §2.1: query is the code flow's default and the only mode here.
    check: ({ params }) => {
      const mode = params.values.get('response_mode');
      return mode === undefined || mode === 'query' ? undefined : refuse('Only response_mode=query is supported');
    },
  },
  {
    name: 'PKCE challenge present when required',
    // RFC 7636 §4.4.1; RFC 9700 §2.1.1: public clients MUST use PKCE; SMART 2.x requires it of every app.
    check: ({ params, client }) => {
      if (params.values.has('code_challenge')) return undefined;
      if (params.values.has('code_challenge_method')) return refuse('code_challenge_method without code_challenge');
      return client.isPublic || client.requirePkce ? refuse('code_challenge is required (PKCE, RFC 7636)') : undefined;
    },
  },
  {
    name: 'PKCE method is S256',
    // RFC 7636 §4.3: an absent method means plain; RFC 9700 §2.1.1 and SMART 2.x accept only S256.
    check: ({ params }) =>
      !params.values.has('code_challenge') || params.values.get('code_challenge_method') === 'S256'
        ? undefined
        : refuse('code_challenge_method must be S256'),
  },
  {
    name: 'PKCE challenge syntax',
    // RFC 7636 §4.2: the S256 challenge is 43 base64url characters.
    check: ({ params }) => {
      const challenge = params.values.get('code_challenge');
      return challenge === undefined || S256_CHALLENGE.test(challenge) ? undefined : refuse('code_challenge must be 43 base64url characters');
    },
  },
  {
    name: 'aud names this FHIR server',
    // SMART App Launch 2.x §"Obtain authorization code": aud is required and must match the FHIR base
    // URL, so a token is never minted for a server a phishing app pretends to be.
    check: ({ params, fhirBase }) => {
      const aud = params.values.get('aud');
      const audience = params.values.get('audience');
      if (aud !== undefined && audience !== undefined && aud !== audience) return refuse('aud and audience disagree');
      const given = aud ?? audience;
      if (given === undefined) return refuse('aud is required: the FHIR base URL the app wants to use');
      return sameBase(given, fhirBase) ? undefined : refuse(`aud must be this server's FHIR base URL, ${fhirBase}`);
    },
  },
  {
    name: 'prompt values',
    // OpenID Connect Core §3.1.2.1: known values; `none` with any other is an error.
    check: ({ params }) => {
      const prompt = params.values.get('prompt')?.split(' ').filter((p) => p !== '') ?? [];
      const unknown = prompt.find((p) => !(PROMPTS as readonly string[]).includes(p));
      if (unknown !== undefined) return refuse(`Unsupported prompt value: ${unknown}`);
      return prompt.includes('none') && prompt.length > 1 ? refuse('prompt=none cannot be combined with other values') : undefined;
    },
  },
];

/** The first check the request fails, or undefined. */
export function firstFailure(input: CheckInput): FhirkeepError | undefined {
  for (const { check } of REQUEST_CHECKS) {
    const error = check(input);
    if (error !== undefined) return error;
  }
  return undefined;
}
