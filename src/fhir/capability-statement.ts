/** Interactions Fhirkeep offers on every resource type (R4 CapabilityStatement.rest.resource.interaction). */
export const TYPE_INTERACTIONS = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create'] as const;
/** Interactions Fhirkeep offers at the system level. */
export const SYSTEM_INTERACTIONS = ['transaction', 'batch', 'history-system'] as const;

export interface CapabilityInput {
  readonly baseUrl: string;
  readonly softwareVersion: string;
  readonly resourceTypes: Iterable<string>;
  /** When the statement is published (the server's start). */
  readonly date: Date;
}

/**
 * The R4 CapabilityStatement (§3.1.0.13, `kind: instance`) generated from the definitions and
 * the interactions the router really implements, so the two cannot drift apart.
 */
export function buildCapabilityStatement(input: CapabilityInput): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: input.date.toISOString(),
    publisher: 'Fhirkeep',
    kind: 'instance',
    software: { name: 'Fhirkeep', version: input.softwareVersion },
    implementation: { description: 'Fhirkeep FHIR R4 server', url: input.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        resource: [...input.resourceTypes].sort().map((type) => ({
          type,
          interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'modified-since',
          conditionalUpdate: true,
          conditionalDelete: 'single',
        })),
        interaction: SYSTEM_INTERACTIONS.map((code) => ({ code })),
      },
    ],
  };
}
