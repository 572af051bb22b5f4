import type { LaunchContext } from '../../grants/grant.js';

/** OpenID Connect Core §3.1.2.1 `prompt` values Fhirkeep honours. */
export const PROMPTS = ['none', 'login', 'consent'] as const;
export type Prompt = (typeof PROMPTS)[number];

/** A checked authorization request, as it waits for login, patient choice and consent. */
export interface PendingRequest {
  readonly clientId: string;
  /** The redirect URI (given, or the client's only one) the code is bound to. */
  readonly redirectUri: string;
  readonly state: string | undefined;
  /** The requested scopes the client may have: what the consent page offers. */
  readonly scopes: readonly string[];
  /** The requested scopes the client may not have (recorded with the consent decision). */
  readonly refusedScopes: readonly string[];
  /** RFC 7636 §4.2 S256 challenge. */
  readonly codeChallenge: string | undefined;
  readonly nonce: string | undefined;
  readonly prompt: readonly Prompt[];
  /** The context of the EHR launch this request redeemed (SMART App Launch §EHR launch). */
  readonly launch: LaunchContext | undefined;
}

/** A pending request and how far it got. */
export interface StoredAuthorizationRequest {
  /** 256 random bits; it appears in page URLs, so alone it is worth nothing: see browser-binding.ts. */
  readonly id: string;
  readonly request: PendingRequest;
  /** SHA-256 of the binding of the browser that opened the request first. */
  readonly browserHash: Buffer | undefined;
  /** Set once someone signed in for this request. */
  readonly accountId: string | undefined;
  /** Set once a patient was chosen (picker) or assigned (an account holder's own record). */
  readonly patientId: string | undefined;
}
