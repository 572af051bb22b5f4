/**
 * Consents say whose data flows to whom (issue 5, ARCHITECTURE.md "Access model" step 3):
 *   app          account holder → application (given on first use of the app)
 *   service      account holder → external service (a subscription: the service sees the holder's
 *                data through its own key)
 *   organization account holder → organization (sharing)
 *   broker       organization → data broker (a client of type broker)
 */
export const CONSENT_KINDS = ['app', 'service', 'organization', 'broker'] as const;
export type ConsentKind = (typeof CONSENT_KINDS)[number];

/** FHIR R4 ConsentState (http://hl7.org/fhir/consent-state-codes); only `active` shares data. */
export const CONSENT_STATUSES = ['draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** The statuses a consent may be granted in: a new decision starts out as one of these. */
export const GRANT_STATUSES = ['draft', 'proposed', 'active'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

/** The kinds confirmed for one version of the client's access filter (issue 5: a filter change asks again). */
export const FILTERED_KINDS: ReadonlySet<ConsentKind> = new Set(['app', 'service']);

/** One consent: a row of the consents table and the FHIR Consent it stands for. */
export interface Consent {
  readonly id: string;
  readonly kind: ConsentKind;
  readonly status: ConsentStatus;
  /** The account holder (app, service, organization). */
  readonly accountId: string | undefined;
  /** The organization shared with (organization) or sharing (broker). */
  readonly organizationId: string | undefined;
  /** The application, service or broker (app, service, broker). */
  readonly clientId: string | undefined;
  /** The holder's Patient: the compartment the consent shares. */
  readonly patientId: string | undefined;
  /** app/service: the client's filter version the holder confirmed. */
  readonly filterVersion: number | undefined;
  /** app/service: the client's filter version now; when it is past `filterVersion` the consent shares nothing until confirmed. */
  readonly currentFilterVersion: number | undefined;
  /** app/service: the SMART scopes the holder approved. */
  readonly scopes: readonly string[];
  /** The FHIR R4 Consent this row stands for (consent-resource.ts). */
  readonly resource: FhirConsent;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Whether a consent shares data now: active, and for app/service confirmed for the client's current filter. */
export function isSharing(consent: Consent): boolean {
  if (consent.status !== 'active') return false;
  return !FILTERED_KINDS.has(consent.kind) || consent.filterVersion === consent.currentFilterVersion;
}

/** The parts of FHIR R4 Consent that Fhirkeep writes (http://hl7.org/fhir/R4/consent.html). */
export interface FhirConsent {
  readonly resourceType: 'Consent';
  readonly id: string;
  readonly meta: { readonly lastUpdated: string };
  readonly extension?: readonly FhirExtension[];
  readonly status: ConsentStatus;
  readonly scope: CodeableConcept;
  readonly category: readonly CodeableConcept[];
  readonly patient?: Reference;
  readonly dateTime: string;
  readonly performer?: readonly Reference[];
  readonly organization?: readonly Reference[];
  readonly policyRule: CodeableConcept;
  readonly provision: {
    readonly type: 'permit';
    readonly actor: readonly { readonly role: CodeableConcept; readonly reference: Reference }[];
  };
}

export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

export interface CodeableConcept {
  readonly coding: readonly Coding[];
  readonly text?: string;
}

export interface Reference {
  readonly reference?: string;
  readonly identifier?: { readonly system: string; readonly value: string };
  readonly display?: string;
}

export interface FhirExtension {
  readonly url: string;
  readonly valueInteger?: number;
  readonly valueCode?: string;
  readonly valueString?: string;
}
