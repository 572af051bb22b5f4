import { isPermitted, requirePermission } from '../../access/smart-access.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { isStoredType } from '../../fhir/audit-trail-type.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { strictHandling } from '../prefer.js';
import { typeParam } from '../query-params.js';
import type { RestContext } from '../rest-context.js';
import { pageLink, searchsetResponse } from '../search/searchset.js';
import { subsetJson } from '../search/subset.js';

/**
 * R4 §3.1.1 search: `GET [base]/[type]?…`, `POST [base]/[type]/_search` (form body and URL
 * parameters together), `GET [base]?_type=…` across types. Answers a `searchset` Bundle.
 */
export async function search(ctx: RestContext, req: FhirRequest, type: string | undefined): Promise<FhirResponse> {
  const query = req.method === 'POST' ? withFormBody(req) : req.query;
  const types = type === undefined ? systemTypes(ctx, req, query) : [type];
  const parsed = ctx.parseSearch(types, query, strictHandling(req.headers.prefer));
  const page = await ctx.store.search(req.scope, parsed);
  const base = ctx.fhirBase();
  return searchsetResponse(page, {
    fhirBase: base,
    linkTo: pageLink(base, type ?? '', parsed.canonical, req.linkParams),
    cursor: parsed.cursor,
    shape: (json, t) => subsetJson(json, t, parsed, ctx.elements),
  });
}

/** R4 §3.1.1.1: a POSTed search's form parameters count as if they were in the URL. */
export function withFormBody(req: FhirRequest): URLSearchParams {
  if (req.contentType !== 'application/x-www-form-urlencoded') {
    throw new FhirkeepError('unsupported-media-type', 'POST _search takes an application/x-www-form-urlencoded body');
  }
  const merged = new URLSearchParams(req.query);
  for (const [k, v] of new URLSearchParams(req.body ?? '')) merged.append(k, v);
  return merged;
}

/**
 * `_type` for a system-level search (R4 §3.2.1.5.x), each of which the token must be allowed to
 * search (else 403); when absent, every stored type it may search (the audit trail is searched alone).
 */
function systemTypes(ctx: RestContext, req: FhirRequest, query: URLSearchParams): string[] {
  const listed = typeParam(query, ctx.resourceTypes, ctx.fhirBase());
  for (const t of listed) requirePermission(req.scope, 's', t);
  if (listed.length > 0) return listed;
  const permitted = [...ctx.resourceTypes].filter((t) => isStoredType(t) && isPermitted(req.scope, 's', t));
  if (permitted.length === 0) throw new FhirkeepError('forbidden', "The token's scopes do not allow searching any type");
  return permitted;
}
