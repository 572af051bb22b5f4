import type { FhirRequest } from '../fhir-request.js';
import type { BundleEntryRequest } from './bundle-entries.js';

/**
 * The FhirRequest one bundle entry stands for (HEAD runs as GET; its body is dropped later), in
 * the Bundle's scope, with its `Prefer` and its origin (the entry's audit row names the Bundle's request).
 */
export function entryRequest(entry: BundleEntryRequest, bundle: FhirRequest, assignedId?: string): FhirRequest {
  const { scope, origin } = bundle;
  const prefer = bundle.headers.prefer;
  return {
    method: entry.method === 'HEAD' ? 'GET' : entry.method,
    path: entry.path,
    query: entry.query,
    body: entry.resource === undefined ? undefined : JSON.stringify(entry.resource),
    contentType: entry.resource === undefined ? undefined : 'application/fhir+json',
    headers: { ...entry.headers, ...(prefer === undefined ? {} : { prefer }) },
    scope,
    ...(origin === undefined ? {} : { origin }),
    ...(assignedId === undefined ? {} : { assignedId }),
  };
}
