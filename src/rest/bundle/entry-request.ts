import type { AccessScope } from '../../access/scope.js';
import type { FhirRequest } from '../fhir-request.js';
import type { BundleEntryRequest } from './bundle-entries.js';

/** The FhirRequest one bundle entry stands for (HEAD runs as GET; its body is dropped later). */
export function entryRequest(entry: BundleEntryRequest, scope: AccessScope, prefer: string | undefined, assignedId?: string): FhirRequest {
  return {
    method: entry.method === 'HEAD' ? 'GET' : entry.method,
    path: entry.path,
    query: entry.query,
    body: entry.resource === undefined ? undefined : JSON.stringify(entry.resource),
    contentType: entry.resource === undefined ? undefined : 'application/fhir+json',
    headers: { ...entry.headers, ...(prefer === undefined ? {} : { prefer }) },
    scope,
    ...(assignedId === undefined ? {} : { assignedId }),
  };
}
