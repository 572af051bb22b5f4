import type { SearchPage, StoredVersion } from '../../storage/types.js';
import { bundleText, type BundleEntryText } from '../bundle-text.js';
import type { FhirResponse } from '../fhir-request.js';

export interface SearchsetOptions {
  readonly fhirBase: string;
  /** The URL of the page at a cursor (the current page for `undefined`). */
  readonly linkTo: (cursor: string | undefined) => string;
  readonly cursor: string | undefined;
  /** Matches placed before the page's own (e.g. the Patient of `$everything`). */
  readonly leading?: readonly StoredVersion[];
  /** Rewrites a resource's stored JSON (`_summary`, `_elements`); identity when absent. */
  readonly shape?: (json: string, type: string) => string;
}

/** A page of results as a `searchset` Bundle (R4 §3.1.1.2): matches, then includes, with paging links. */
export function searchsetResponse(page: SearchPage, options: SearchsetOptions): FhirResponse {
  const link = [{ relation: 'self', url: options.linkTo(options.cursor) }];
  if (page.next !== undefined) link.push({ relation: 'next', url: options.linkTo(page.next) });
  if (page.prev !== undefined) link.push({ relation: 'previous', url: options.linkTo(page.prev) });
  const entry = (v: StoredVersion, mode: 'match' | 'include'): BundleEntryText => ({
    fullUrl: `${options.fhirBase}/${v.type}/${v.id}`,
    ...(v.json === null ? {} : { resourceJson: options.shape === undefined ? v.json : options.shape(v.json, v.type) }),
    rest: { search: { mode } },
  });
  const matches = [...(options.leading ?? []), ...page.matches];
  const head = { type: 'searchset', ...(page.total === undefined ? {} : { total: page.total }), link };
  const entries = [...matches.map((v) => entry(v, 'match')), ...page.included.map((v) => entry(v, 'include'))];
  return { status: 200, headers: {}, body: { kind: 'raw', text: bundleText(head, entries) } };
}

/** `base/path?params` with `_cursor` set to a page's position, and the request's link parameters (FhirRequest.linkParams). */
export function pageLink(fhirBase: string, path: string, params: URLSearchParams, linkParams?: URLSearchParams): (cursor: string | undefined) => string {
  return (cursor) => {
    const p = new URLSearchParams(params);
    if (cursor !== undefined) p.set('_cursor', cursor);
    for (const [name, value] of linkParams ?? []) p.append(name, value);
    const qs = p.toString();
    return `${fhirBase}/${path}${qs === '' ? '' : `?${qs}`}`;
  };
}
