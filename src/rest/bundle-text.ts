/**
 * Bundles are assembled as text so that the stored JSON of each resource is embedded as is,
 * without a parse/stringify round trip per entry (the hot path of history and search).
 */
export interface BundleEntryText {
  readonly fullUrl?: string;
  /** Stored JSON text of the resource, if the entry has one. */
  readonly resourceJson?: string;
  /** Other entry members (request, response, search), serialised here once. */
  readonly rest: Record<string, unknown>;
}

export function bundleText(head: Record<string, unknown>, entries: readonly BundleEntryText[]): string {
  const headJson = JSON.stringify({ resourceType: 'Bundle', ...head });
  const parts = entries.map(entryText);
  return `${headJson.slice(0, -1)},"entry":[${parts.join(',')}]}`;
}

function entryText(e: BundleEntryText): string {
  const fields: string[] = [];
  if (e.fullUrl !== undefined) fields.push(`"fullUrl":${JSON.stringify(e.fullUrl)}`);
  if (e.resourceJson !== undefined) fields.push(`"resource":${e.resourceJson}`);
  for (const [k, v] of Object.entries(e.rest)) fields.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${fields.join(',')}}`;
}
