/**
 * Who is calling. Built by authentication; the access engine turns it into an AccessScope.
 * More kinds arrive with the issues that add their logins.
 */
export type Principal =
  | { readonly kind: 'system'; readonly reason: string }
  /** A signed-in account on Fhirkeep's own pages (the patient picker, the EHR launch). */
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'dev-anonymous' }
  | {
      /** A bearer access token: a client, acting for an account (authorization code) or for itself. */
      readonly kind: 'token';
      readonly clientId: string;
      readonly accountId: string | undefined;
      readonly grantId: string;
      readonly scopes: readonly string[];
      /** The SMART launch patient, if any. */
      readonly patient: string | undefined;
      /** The user's own FHIR resource (`Patient/1`, `Practitioner/2`), if any. */
      readonly fhirUser: string | undefined;
      /** The organization a data broker acts for (`; grp=`). */
      readonly organizationId?: string;
      /** The ResearchStudy (logical id) a research partner's request is about (`researchstudy=`). */
      readonly studyId?: string;
    }
  | {
      /** An HIE user's access token (docs/hie.md), sent by the organization's client that signed it in. */
      readonly kind: 'hie';
      readonly accountId: string;
      readonly clientId: string;
    }
  | {
      /** A service's API key (static, or a client certificate): the client, with its registered scopes. */
      readonly kind: 'key';
      readonly clientId: string;
      readonly keyId: string;
      readonly scopes: readonly string[];
      readonly organizationId?: string;
      readonly studyId?: string;
    };
