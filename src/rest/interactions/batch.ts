import type { ParsedBundle } from '../bundle/bundle-entries.js';
import { entryRequest } from '../bundle/entry-request.js';
import { entryResponse } from '../bundle/entry-response.js';
import { bundleText } from '../bundle-text.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';

export type Handler = (req: FhirRequest) => Promise<FhirResponse>;

/**
 * FHIR R4 §3.1.0.11.1 batch: every entry runs on its own, in order, as if sent alone; one
 * entry's failure is that entry's response and does not stop the others.
 */
export async function batch(handle: Handler, req: FhirRequest, bundle: ParsedBundle): Promise<FhirResponse> {
  const entries = [];
  for (const entry of bundle.entries) {
    const res = await handle(entryRequest(entry, req));
    entries.push(entryResponse(res, entry.method === 'HEAD'));
  }
  return { status: 200, headers: {}, body: { kind: 'raw', text: bundleText({ type: 'batch-response' }, entries) } };
}
