import { SignJWT } from 'jose';
import type { KeyRing } from './key-ring.js';
import { LIFETIMES } from './lifetimes.js';

export interface IdTokenInput {
  readonly accountId: string;
  readonly clientId: string;
  readonly nonce: string | undefined;
  /** Absolute URL of the user's FHIR resource (SMART App Launch §"Scopes for requesting identity data"). */
  readonly fhirUser: string | undefined;
  /** With the `profile` scope (OIDC Core §5.4). */
  readonly profile: { readonly name?: string | undefined; readonly email?: string | undefined } | undefined;
}

export interface IdTokens {
  issue(input: IdTokenInput): Promise<string>;
}

/** OpenID Connect id_tokens, RS256 as OIDC Core §15.1 and SMART require every server to support. */
export function createIdTokens(options: { readonly issuer: () => string; readonly keys: KeyRing }): IdTokens {
  return {
    async issue(input) {
      const { kid, key } = options.keys.signer('RS256');
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
        ...(input.fhirUser === undefined ? {} : { fhirUser: input.fhirUser }),
        ...(input.profile?.name === undefined ? {} : { name: input.profile.name }),
        ...(input.profile?.email === undefined ? {} : { email: input.profile.email }),
      };
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(options.issuer())
        .setSubject(input.accountId)
        .setAudience(input.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + LIFETIMES.idToken)
        .sign(key);
    },
  };
}
