/**
 * An R4 AuditEvent as another system wrote it, or a FHIR create did before the audit trail had its
 * own table: a resource, never a row of the trail.
 */
export function foreignAuditEvent(options: { readonly id?: string; readonly patient?: string } = {}): { resourceType: 'AuditEvent' } & Record<string, unknown> {
  return {
    resourceType: 'AuditEvent',
    ...(options.id === undefined ? {} : { id: options.id }),
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
    recorded: '2024-05-01T12:00:00Z',
    agent: [{ requestor: true, who: { display: 'another system' } }],
    source: { observer: { display: 'another system' } },
    ...(options.patient === undefined ? {} : { entity: [{ what: { reference: `Patient/${options.patient}` } }] }),
  };
}
