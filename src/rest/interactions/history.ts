import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { HistoryEntry, HistoryQuery } from '../../storage/types.js';
import { bundleText, type BundleEntryText } from '../bundle-text.js';
import { etagOf } from '../etag.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { pageSize } from '../page-size.js';
import { sinceParam } from '../query-params.js';
import type { RestContext } from '../rest-context.js';

const KNOWN = new Set(['_count', '_since', '_cursor', '_format', '_pretty']);

/** FHIR R4 §3.1.0.10 history at instance, type or system level: a `history` Bundle, newest first. */
export async function history(ctx: RestContext, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  for (const name of req.query.keys()) {
    if (!KNOWN.has(name)) throw new FhirkeepError('invalid-parameter', `History does not support the parameter ${name}`);
  }
  const sinceDate = sinceParam(req.query);
  const count = pageSize(ctx, req.query.get('_count'));
  const cursor = req.query.get('_cursor');
  const query: HistoryQuery = {
    count,
    ...(type === undefined ? {} : { type }),
    ...(id === undefined ? {} : { id }),
    ...(sinceDate === undefined ? {} : { since: sinceDate }),
    ...(cursor === null ? {} : { cursor }),
  };
  const page = await ctx.store.history(req.scope, query);
  if (id !== undefined && type !== undefined && page.entries.length === 0 && cursor === null) {
    // Instance history of a resource that never existed (or is outside the scope) is a 404.
    if ((await ctx.store.read(req.scope, type, id)) === undefined) throw new FhirkeepError('not-found', `${type}/${id} is not known`);
  }
  const base = ctx.fhirBase();
  const path = [type, id, '_history'].filter((p) => p !== undefined).join('/');
  const linked = new URLSearchParams([...req.query, ...(req.linkParams ?? [])]);
  const link = [{ relation: 'self', url: `${base}/${path}?${linked.toString()}` }];
  if (page.next !== undefined) {
    const next = new URLSearchParams(linked);
    next.set('_cursor', page.next);
    link.push({ relation: 'next', url: `${base}/${path}?${next.toString()}` });
  }
  const head = { type: 'history', ...(page.total === undefined ? {} : { total: page.total }), link };
  const text = bundleText(head, page.entries.map((e) => entry(base, e)));
  return { status: 200, headers: {}, body: { kind: 'raw', text } };
}

/** R4 §3.1.0.10.1: each entry carries the request that made the version and its response. */
function entry(base: string, e: HistoryEntry): BundleEntryText {
  const url = e.method === 'POST' ? e.type : `${e.type}/${e.id}`;
  const status = e.method === 'POST' ? '201 Created' : e.method === 'DELETE' ? '204 No Content' : '200 OK';
  return {
    fullUrl: `${base}/${e.type}/${e.id}`,
    ...(e.json === null ? {} : { resourceJson: e.json }),
    rest: {
      request: { method: e.method, url },
      response: { status, etag: etagOf(e.versionId), lastModified: e.lastUpdated.toISOString() },
    },
  };
}
