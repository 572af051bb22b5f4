import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { StoredVersion } from '../../storage/types.js';
import { bundleText, type BundleEntryText } from '../bundle-text.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { strictHandling } from '../prefer.js';
import type { RestContext } from '../rest-context.js';
import { subsetJson } from '../search/subset.js';

/**
 * R4 §3.1.1 search: `GET [base]/[type]?…`, `POST [base]/[type]/_search` (form body and URL
 * parameters together), `GET [base]?_type=…` across types. Answers a `searchset` Bundle.
 */
export async function search(ctx: RestContext, req: FhirRequest, type: string | undefined): Promise<FhirResponse> {
  const query = req.method === 'POST' ? withFormBody(req) : req.query;
  const types = type === undefined ? systemTypes(ctx, query) : [type];
  const parsed = ctx.parseSearch(types, query, strictHandling(req.headers.prefer));
  const page = await ctx.store.search(req.scope, parsed);
  const base = ctx.fhirBase();
  const path = type === undefined ? '' : type;
  const linkTo = (cursor: string | undefined): string => {
    const params = new URLSearchParams(parsed.canonical);
    if (cursor !== undefined) params.set('_cursor', cursor);
    const qs = params.toString();
    return `${base}/${path}${qs === '' ? '' : `?${qs}`}`;
  };
  const link = [{ relation: 'self', url: linkTo(parsed.cursor) }];
  if (page.next !== undefined) link.push({ relation: 'next', url: linkTo(page.next) });
  if (page.prev !== undefined) link.push({ relation: 'previous', url: linkTo(page.prev) });
  const entry = (v: StoredVersion, mode: 'match' | 'include'): BundleEntryText => ({
    fullUrl: `${base}/${v.type}/${v.id}`,
    ...(v.json === null ? {} : { resourceJson: subsetJson(v.json, v.type, parsed, ctx.elements) }),
    rest: { search: { mode } },
  });
  const head = { type: 'searchset', ...(page.total === undefined ? {} : { total: page.total }), link };
  const entries = [...page.matches.map((v) => entry(v, 'match')), ...page.included.map((v) => entry(v, 'include'))];
  return { status: 200, headers: {}, body: { kind: 'raw', text: bundleText(head, entries) } };
}

/** R4 §3.1.1.1: a POSTed search's form parameters count as if they were in the URL. */
function withFormBody(req: FhirRequest): URLSearchParams {
  if (req.contentType !== 'application/x-www-form-urlencoded') {
    throw new FhirkeepError('unsupported-media-type', 'POST _search takes an application/x-www-form-urlencoded body');
  }
  const merged = new URLSearchParams(req.query);
  for (const [k, v] of new URLSearchParams(req.body ?? '')) merged.append(k, v);
  return merged;
}

/** `_type` for a system-level search (R4 §3.2.1.5.x); every type when absent. */
function systemTypes(ctx: RestContext, query: URLSearchParams): string[] {
  const listed = query.getAll('_type').flatMap((v) => v.split(',')).filter((v) => v !== '');
  if (listed.length === 0) return [...ctx.resourceTypes];
  for (const t of listed) if (!ctx.resourceTypes.has(t)) throw new FhirkeepError('invalid-parameter', `_type: unknown resource type "${t}"`);
  return [...new Set(listed)];
}
