import { codeForStatus } from '../../errors/codes.js';
import { FhirkeepError, isFhirkeepError, type ErrorDetail } from '../../errors/fhirkeep-error.js';
import { outcomeOf, type OperationOutcome } from '../../errors/operation-outcome.js';
import { newFhirId } from '../../fhir/fhir-id.js';
import type { ResourceStore } from '../../storage/types.js';
import type { BundleEntryRequest, ParsedBundle } from '../bundle/bundle-entries.js';
import { entryRequest } from '../bundle/entry-request.js';
import { entryResponse } from '../bundle/entry-response.js';
import { rewriteReferences } from '../bundle/references.js';
import { bundleText, type BundleEntryText } from '../bundle-text.js';
import { parseConditionalCriteria } from '../conditional-criteria.js';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { checkResource } from '../resource-body.js';
import type { RestContext } from '../rest-context.js';
import { writeResponse } from '../version-response.js';
import type { Handler } from './batch.js';
import { ifNoneExistQuery } from './create.js';

/** R4 §3.1.0.11.2 processing order: deletes, creates, updates and patches, then reads. */
const ORDER: Record<BundleEntryRequest['method'], number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/**
 * FHIR R4 §3.1.0.11.2 transaction: all entries in one database transaction — any failure
 * rolls back everything and the answer is the failing entry's OperationOutcome. Creates get
 * their ids first, so `urn:uuid:` and conditional references can be rewritten before anything
 * is written.
 */
export async function transaction(
  ctx: RestContext,
  handlerFor: (ctx: RestContext) => Handler,
  req: FhirRequest,
  bundle: ParsedBundle,
): Promise<FhirResponse> {
  refuseOverlaps(bundle.entries);
  const responses = await ctx.store.transaction(async (store) => {
    const txCtx: RestContext = { ...ctx, store };
    const handle = handlerFor(txCtx);
    const planned = await planCreates(ctx, store, req, bundle.entries);
    const fullUrls = new Map([...planned.values()].flatMap((p) => (p.fullUrl === undefined ? [] : [[p.fullUrl, p.reference] as const])));
    for (const entry of bundle.entries) {
      if (entry.resource === undefined) continue;
      await rewriteReferences(entry.resource, `Bundle.entry[${entry.index}].resource`, fullUrls, (ref) => resolveConditional(ctx, store, req, ref));
    }
    const results: BundleEntryText[] = new Array(bundle.entries.length);
    const plain = bundle.entries.filter((e) => isPlainCreate(e, planned.get(e.index)));
    let createsWritten = false;
    const writeCreates = async (): Promise<void> => {
      createsWritten = true;
      await writePlainCreates(txCtx, req, plain, planned, results);
    };
    const ordered = [...bundle.entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
    for (const entry of ordered) {
      if (ORDER[entry.method] >= ORDER.POST && !createsWritten) await writeCreates();
      if (plain.includes(entry)) continue;
      const plan = planned.get(entry.index);
      const res = await handle(entryRequest(entry, req, plan?.assignedId));
      if (res.status >= 400) throw entryFailure(entry, res);
      if (plan !== undefined && res.headers.Location !== undefined && !res.headers.Location.includes(`/${plan.reference}/_history/`)) {
        // A concurrent transaction created the match after we looked: references would point elsewhere.
        throw new FhirkeepError('version-conflict', `Bundle.entry[${entry.index}]: a matching resource appeared meanwhile; retry the transaction`);
      }
      results[entry.index] = entryResponse(res, entry.method === 'HEAD');
    }
    if (!createsWritten) await writeCreates();
    return results;
  });
  return { status: 200, headers: {}, body: { kind: 'raw', text: bundleText({ type: 'transaction-response' }, responses) } };
}

/** A create without conditions at a bare type: validated here and written with the others in one statement. */
function isPlainCreate(entry: BundleEntryRequest, plan: PlannedCreate | undefined): boolean {
  return (
    entry.method === 'POST' &&
    entry.headers.ifNoneExist === undefined &&
    plan?.assignedId !== undefined &&
    !entry.path.includes('/') &&
    [...entry.query.keys()].length === 0
  );
}

/**
 * The plain creates of a transaction: each checked exactly as a single create is (valid R4, of
 * the URL's type), then all inserted in one round trip at their planned ids.
 */
async function writePlainCreates(
  ctx: RestContext,
  req: FhirRequest,
  entries: readonly BundleEntryRequest[],
  planned: ReadonlyMap<number, PlannedCreate>,
  results: BundleEntryText[],
): Promise<void> {
  const items = entries.map((entry) => {
    try {
      if (!ctx.resourceTypes.has(entry.path)) throw new FhirkeepError('unknown-type', `Unknown resource type "${entry.path}"`);
      const resource = checkResource(ctx, entry.resource, entry.path);
      // R4 §3.1.0.8: a create's own id is ignored; the planned one was chosen for its references.
      delete resource.id;
      return { resource, id: planned.get(entry.index)?.assignedId as string };
    } catch (e) {
      if (!isFhirkeepError(e)) throw e;
      throw entryFailure(entry, { status: e.status, headers: {}, body: { kind: 'json', value: outcomeOf(e) } });
    }
  });
  const versions = await ctx.store.createMany(req.scope, items);
  versions.forEach((v, i) => {
    const entry = entries[i] as BundleEntryRequest;
    results[entry.index] = entryResponse(writeResponse(ctx, 201, v, req.headers.prefer, `Created ${v.type}/${v.id}`), false);
  });
}

interface PlannedCreate {
  readonly fullUrl?: string;
  /** `Type/id` the entry's resource will have (or already has, for a matched conditional create). */
  readonly reference: string;
  /** The id to create it under; absent when a conditional create matched an existing resource. */
  readonly assignedId?: string;
}

/** Chooses the id of every create before anything runs; a conditional create that matches keeps the match's. */
async function planCreates(ctx: RestContext, store: ResourceStore, req: FhirRequest, entries: readonly BundleEntryRequest[]): Promise<Map<number, PlannedCreate>> {
  const plans = new Map<number, PlannedCreate>();
  for (const entry of entries) {
    if (entry.method !== 'POST' || entry.resource === undefined) continue;
    const type = entry.path;
    const fullUrl = entry.fullUrl === undefined ? {} : { fullUrl: entry.fullUrl };
    if (entry.headers.ifNoneExist !== undefined) {
      const matches = await store.match(req.scope, parseConditionalCriteria(ctx, type, ifNoneExistQuery(entry.headers.ifNoneExist)));
      if (matches.length > 1) {
        throw new FhirkeepError('multiple-matches', `Bundle.entry[${entry.index}]: more than one ${type} matches If-None-Exist`);
      }
      if (matches[0] !== undefined) {
        plans.set(entry.index, { ...fullUrl, reference: `${type}/${matches[0]}` });
        continue;
      }
    }
    const id = newFhirId();
    plans.set(entry.index, { ...fullUrl, reference: `${type}/${id}`, assignedId: id });
  }
  return plans;
}

/** R4 §3.1.0.11.3 conditional reference: exactly one match, else the transaction fails. */
async function resolveConditional(ctx: RestContext, store: ResourceStore, req: FhirRequest, reference: string): Promise<string> {
  const q = reference.indexOf('?');
  const type = reference.slice(0, q);
  const matches = await store.match(req.scope, parseConditionalCriteria(ctx, type, new URLSearchParams(reference.slice(q + 1))));
  if (matches.length !== 1) {
    throw new FhirkeepError('unprocessable', `The conditional reference ${reference} matches ${matches.length === 0 ? 'nothing' : 'more than one resource'}`);
  }
  return `${type}/${matches[0]}`;
}

/** R4 §3.1.0.11.2: two entries acting on one resource make the transaction fail. */
function refuseOverlaps(entries: readonly BundleEntryRequest[]): void {
  const seen = new Map<string, number>();
  for (const e of entries) {
    if (e.method === 'POST' || e.method === 'GET' || e.method === 'HEAD' || !e.path.includes('/')) continue;
    const other = seen.get(e.path);
    if (other !== undefined) {
      throw new FhirkeepError('bad-request', `Bundle.entry[${other}] and Bundle.entry[${e.index}] both change ${e.path}`);
    }
    seen.set(e.path, e.index);
  }
}

/** The failing entry's own error, its messages and paths placed inside the bundle. */
function entryFailure(entry: BundleEntryRequest, res: FhirResponse): FhirkeepError {
  const where = `Bundle.entry[${entry.index}]`;
  const outcome = (res.body?.kind === 'json' ? res.body.value : undefined) as OperationOutcome | undefined;
  const details: ErrorDetail[] = (outcome?.issue ?? []).map((i) => ({
    message: `${where} (${entry.method} ${entry.path}): ${i.diagnostics ?? i.code}`,
    expression: i.expression?.[0] === undefined ? where : i.expression[0].replace(/^[A-Z][A-Za-z]+/, `${where}.resource`),
  }));
  const first = details[0]?.message ?? `${where} (${entry.method} ${entry.path}) failed with ${res.status}`;
  return new FhirkeepError(codeForStatus(res.status), `The transaction failed and nothing was written: ${first}`, { details });
}
