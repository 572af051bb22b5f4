import type { SearchParameterDefinition } from './definitions.js';

/** R4 ValueSet type-restful-interaction: what a server can do with one resource type. */
export type TypeInteraction = 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type';
/** R4 ValueSet system-restful-interaction: what a server can do at its base. */
export type SystemInteraction = 'transaction' | 'batch' | 'search-system' | 'history-system';

/**
 * What the server does with a type it does not keep with the stored resources (the audit trail):
 * these interactions and search parameters alone, none of the stored types' includes, conditional
 * interactions or versioning.
 */
export interface ApartTypeCapability {
  readonly interactions: readonly TypeInteraction[];
  readonly searchParams: readonly SearchParameterDefinition[];
}

export interface CapabilityInput {
  /** The FHIR base URL (`…/fhir`). */
  readonly baseUrl: string;
  readonly softwareVersion: string;
  /** The R4 resource types served (from the definitions). */
  readonly resourceTypes: Iterable<string>;
  /** The interactions the router implements, offered on every stored resource type. */
  readonly interactions: readonly TypeInteraction[];
  /** A type served apart from the stored ones, with what is offered on it instead. */
  readonly servedApart?: (type: string) => ApartTypeCapability | undefined;
  readonly systemInteractions: readonly SystemInteraction[];
  /** Operations at the base (`$export`). */
  readonly systemOperations?: readonly { readonly name: string; readonly definition: string }[];
  /**
   * The search parameters the search engine supports. Each is listed under its base types; those
   * on `Resource` or `DomainResource` (`_id`, `_lastUpdated`, …) once, for all types.
   */
  readonly searchParams?: readonly SearchParameterDefinition[];
  /** Per type: `_include` values (`Type:param`, `Type:*`) and `_revinclude` values it answers. */
  readonly searchIncludes?: (type: string) => readonly string[];
  readonly searchRevIncludes?: (type: string) => readonly string[];
  /** Per type: profiles the server supports (US Core) and operations it defines. */
  readonly supportedProfiles?: (type: string) => readonly string[];
  readonly operations?: (type: string) => readonly { readonly name: string; readonly definition: string }[];
  /** Canonical CapabilityStatements this server implements (e.g. US Core Server). */
  readonly instantiates?: readonly string[];
  /** When the statement is published (the server's start). */
  readonly date: Date;
  /** The authorization server's endpoints, for the SMART `oauth-uris` extension. */
  readonly oauth?: { readonly authorize: string; readonly token: string; readonly revoke: string; readonly introspect: string; readonly manage: string };
}

/**
 * `rest.security` (SMART App Launch 2.x §"Capability Statement"): the SMART-on-FHIR service code
 * and the oauth-uris extension, so clients that predate .well-known discovery find the endpoints.
 */
function security(oauth: NonNullable<CapabilityInput['oauth']>): Record<string, unknown> {
  const uri = (url: string, valueUri: string) => ({ url, valueUri });
  return {
    cors: true,
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }],
        text: 'OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)',
      },
    ],
    extension: [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          uri('authorize', oauth.authorize),
          uri('token', oauth.token),
          uri('revoke', oauth.revoke),
          uri('introspect', oauth.introspect),
          uri('manage', oauth.manage),
        ],
      },
    ],
  };
}

interface SearchParamEntry {
  readonly name: string;
  readonly definition: string;
  readonly type: SearchParameterDefinition['type'];
}

const COMMON_BASES = ['Resource', 'DomainResource'];

/** `{ [key]: list }`, or nothing for an empty list: FHIR JSON has no empty arrays (json.html). */
const listed = <T>(key: string, list: readonly T[]): Record<string, readonly T[]> => (list.length > 0 ? { [key]: list } : {});

/**
 * The server's R4 CapabilityStatement (http.html#capabilities, `kind: instance`): one
 * `rest.resource` per R4 resource type of the shipped definitions, with the interactions the
 * caller says the router implements, so the statement cannot promise more than the server does.
 */
export function buildCapabilityStatement(input: CapabilityInput): Record<string, unknown> {
  const params = input.searchParams ?? [];
  const entry = (p: SearchParameterDefinition): SearchParamEntry => ({ name: p.code, definition: p.url, type: p.type });
  const byName = (a: SearchParamEntry, b: SearchParamEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const common = params.filter((p) => p.base.some((b) => COMMON_BASES.includes(b))).map(entry).sort(byName);
  const interactions = listed('interaction', input.interactions.map((code) => ({ code })));
  return {
    resourceType: 'CapabilityStatement',
    name: 'Fhirkeep',
    status: 'active',
    date: input.date.toISOString(),
    publisher: 'Fhirkeep',
    kind: 'instance',
    ...listed('instantiates', input.instantiates ?? []),
    software: { name: 'Fhirkeep', version: input.softwareVersion },
    // cpb-15: a statement of kind `instance` describes an implementation.
    implementation: { description: 'Fhirkeep FHIR R4 server', url: input.baseUrl },
    fhirVersion: '4.0.1',
    // JSON only; XML requests get 406.
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        ...(input.oauth === undefined ? {} : { security: security(input.oauth) }),
        resource: [...input.resourceTypes].sort().map((type) => {
          const profiles = {
            profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
            ...listed('supportedProfile', input.supportedProfiles?.(type) ?? []),
          };
          const operations = listed('operation', input.operations?.(type) ?? []);
          const apart = input.servedApart?.(type);
          if (apart !== undefined) {
            return {
              type,
              ...profiles,
              ...listed('interaction', apart.interactions.map((code) => ({ code }))),
              ...listed('searchParam', apart.searchParams.map(entry).sort(byName)),
              ...operations,
            };
          }
          const own = params.filter((p) => p.base.includes(type)).map(entry).sort(byName);
          return {
            type,
            ...profiles,
            ...interactions,
            versioning: 'versioned-update',
            readHistory: true,
            updateCreate: true,
            conditionalCreate: true,
            // Reads answer both If-Modified-Since and If-None-Match with 304 (src/rest/interactions/read.ts).
            conditionalRead: 'full-support',
            conditionalUpdate: true,
            conditionalDelete: 'single',
            ...listed('searchInclude', input.searchIncludes?.(type) ?? []),
            ...listed('searchRevInclude', input.searchRevIncludes?.(type) ?? []),
            ...listed('searchParam', own),
            ...operations,
          };
        }),
        ...listed('interaction', input.systemInteractions.map((code) => ({ code }))),
        ...listed('searchParam', common),
        ...listed('operation', input.systemOperations ?? []),
      },
    ],
  };
}
