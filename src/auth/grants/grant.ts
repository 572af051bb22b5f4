/**
 * SMART launch context carried by a grant into its token responses (SMART App Launch 2.x
 * "Launch context arrives with your access token").
 */
export interface LaunchContext {
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirContext?: readonly { readonly reference?: string; readonly role?: string }[];
  readonly needPatientBanner?: boolean;
  readonly smartStyleUrl?: string;
  /** The intent string an EHR passed with the launch (SMART `intent`). */
  readonly intent?: string;
  /**
   * The signed-in user's own FHIR resource, e.g. `Practitioner/123` or `Patient/456`, when the
   * grant includes `openid fhirUser` (SMART App Launch 2.x §scopes for requesting identity data).
   */
  readonly fhirUser?: string;
}

/** service_key: the grant of a refresh key's newest token pair (docs/service-keys.md). */
export type GrantType = 'authorization_code' | 'client_credentials' | 'service_key';

/**
 * One authorization decision: a user's consent for an app (authorization code), or a
 * client's own access (client credentials). Tokens carry its id; revoking it kills them all.
 */
export interface Grant {
  readonly id: string;
  readonly clientId: string;
  readonly accountId: string | undefined;
  readonly grantType: GrantType;
  /** The scopes granted, after the user's unticking and the client's allowance. */
  readonly scopes: readonly string[];
  readonly context: LaunchContext;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revoked: boolean;
  /** The refresh key whose newest token pair this grant is (grant type service_key). */
  readonly serviceKeyId?: string;
}
