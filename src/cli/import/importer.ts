import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { AccessScope } from '../../access/scope.js';
import { isStoredType } from '../../fhir/audit-trail-type.js';
import type { FhirRequest, FhirResponse } from '../../rest/fhir-request.js';
import type { ImportFile } from './import-files.js';
import type { ImportState } from './import-state.js';
import { markCommit, type CommitMarker, type Transaction } from './commit-marker.js';

export type Handler = (req: FhirRequest) => Promise<FhirResponse>;

export interface ImportFailure {
  readonly file: string;
  readonly reason: string;
}

export interface ImportProgress {
  resources: number;
  bytesDone: number;
  filesDone: number;
  skipped: number;
  /** AuditEvents of ndjson files and non-transaction Bundles, not imported: the audit trail is this server's own. */
  auditEventsLeftOut: number;
  readonly failures: ImportFailure[];
}

interface Resource {
  [element: string]: unknown;
  resourceType?: unknown;
  id?: unknown;
}

/** ndjson lines per transaction: large enough to amortise a commit, small enough to retry cheaply. */
const NDJSON_CHUNK = 500;

/**
 * Loads files through the FHIR router (the same validation and storage as the API), each Bundle
 * as one transaction, ndjson in chunks of transactions. Finished work is recorded in `state`
 * so a rerun skips it; a transaction that committed just before a crash, before `state` could
 * say so, is recognised by its commit marker (commit-marker.ts) and not sent twice.
 */
export async function importFiles(
  files: readonly ImportFile[],
  handle: Handler,
  scope: AccessScope,
  state: ImportState,
  progress: ImportProgress,
  parallel: number,
): Promise<void> {
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      if (state.isDone(file.key)) {
        progress.skipped++;
      } else {
        try {
          if (file.kind === 'bundle') {
            if ((await importBundle(file, handle, scope, progress)) === 'already-imported') progress.skipped++;
          } else {
            await importNdjson(file, handle, scope, state, progress);
          }
          state.markDone(file.key);
        } catch (e) {
          progress.failures.push({ file: file.path, reason: (e as Error).message });
        }
      }
      progress.bytesDone += file.size;
      progress.filesDone++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

async function importBundle(file: ImportFile, handle: Handler, scope: AccessScope, progress: ImportProgress): Promise<'imported' | 'already-imported'> {
  const raw = readFileSync(file.path);
  const text = (file.gzip ? gunzipSync(raw) : raw).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON: ${(e as Error).message}`);
  }
  const bundle = value as { resourceType?: unknown; type?: unknown; entry?: unknown };
  if (bundle.resourceType === 'Bundle' && bundle.type === 'batch') {
    // Entries of a batch succeed or fail one by one: a rerun after a crash may repeat its creates.
    const { entries } = await post(handle, scope, value);
    const failed = entries.filter((e) => !e.response.status.startsWith('2'));
    progress.resources += entries.length - failed.length;
    for (const f of failed) {
      progress.failures.push({ file: file.path, reason: `entry ${entries.indexOf(f)}: ${f.response.status} ${f.response.outcome?.issue?.[0]?.diagnostics ?? ''}`.trim() });
    }
    return 'imported';
  }
  // A transaction goes in as written, all or nothing (as a batch, above): an AuditEvent in it is refused as by the API.
  const transaction =
    bundle.resourceType !== 'Bundle'
      ? transactionOf(withoutAuditEvents([value as Resource], progress))
      : bundle.type === 'transaction'
        ? (value as Transaction)
        : transactionOf(withoutAuditEvents(Array.isArray(bundle.entry) ? (bundle.entry as { resource?: Resource }[]).flatMap((e) => (e.resource === undefined ? [] : [e.resource])) : [], progress));
  // The file's content is the seed: the same Bundle, wherever it lies, is imported once.
  const marker = Array.isArray(transaction.entry) ? markCommit(transaction, text) : undefined;
  if (await committed(handle, scope, marker)) return 'already-imported';
  const { entries } = await post(handle, scope, transaction);
  progress.resources += entries.length;
  return 'imported';
}

async function importNdjson(file: ImportFile, handle: Handler, scope: AccessScope, state: ImportState, progress: ImportProgress): Promise<void> {
  const input = createReadStream(file.path);
  const lines = createInterface({ input: file.gzip ? input.pipe(createGunzip()) : input, crlfDelay: Infinity });
  const skip = state.linesDone(file.key);
  let lineNo = 0;
  let chunk: { line: number; resource: Resource }[] = [];
  const flush = async (): Promise<void> => {
    if (chunk.length === 0) return;
    await importChunk(file, chunk, handle, scope, progress);
    state.markLines(file.key, lineNo);
    chunk = [];
  };
  for await (const text of lines) {
    lineNo++;
    if (lineNo <= skip || text.trim() === '') continue;
    try {
      const resource = JSON.parse(text) as Resource;
      if (withoutAuditEvents([resource], progress).length > 0) chunk.push({ line: lineNo, resource });
    } catch (e) {
      progress.failures.push({ file: file.path, reason: `line ${lineNo}: not valid JSON (${(e as Error).message})` });
    }
    if (chunk.length >= NDJSON_CHUNK) await flush();
  }
  await flush();
}

/** A chunk goes in as one transaction; if that fails, line by line, so good lines still load. */
async function importChunk(
  file: ImportFile,
  chunk: readonly { line: number; resource: Resource }[],
  handle: Handler,
  scope: AccessScope,
  progress: ImportProgress,
): Promise<void> {
  try {
    // Await first, then add: `x += await …` reads x before awaiting and loses other workers' counts.
    const written = await postOnce(handle, scope, transactionOf(chunk.map((c) => c.resource)), JSON.stringify(chunk));
    progress.resources += written;
    return;
  } catch {
    // One bad resource spoils the transaction: find it.
  }
  for (const c of chunk) {
    try {
      const written = await postOnce(handle, scope, transactionOf([c.resource]), JSON.stringify(c));
      progress.resources += written;
    } catch (e) {
      progress.failures.push({ file: file.path, reason: `line ${c.line}: ${(e as Error).message}` });
    }
  }
}

/**
 * The resources but AuditEvents, which are counted as left out: the audit trail records what
 * happened on this server and is written by it alone, so another system's events have no place here.
 */
function withoutAuditEvents(resources: readonly Resource[], progress: ImportProgress): Resource[] {
  const kept = resources.filter((r) => typeof r.resourceType !== 'string' || isStoredType(r.resourceType));
  progress.auditEventsLeftOut += resources.length - kept.length;
  return kept;
}

/** Resources with an id keep it (PUT, update-as-create); others get one (POST). */
function transactionOf(resources: readonly Resource[]): Transaction {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => {
      const type = typeof r.resourceType === 'string' ? r.resourceType : 'Unknown';
      return typeof r.id === 'string'
        ? { resource: r, request: { method: 'PUT', url: `${type}/${r.id}` } }
        : { resource: r, request: { method: 'POST', url: type } };
    }),
  };
}

/** Sends a transaction unless its commit marker shows it committed before; answers the resources it wrote. */
async function postOnce(handle: Handler, scope: AccessScope, transaction: Transaction, seed: string): Promise<number> {
  if (await committed(handle, scope, markCommit(transaction, seed))) return 0;
  return (await post(handle, scope, transaction)).entries.length;
}

/**
 * True when the marked resource is there (or was, and has been deleted since: its transaction
 * committed, and sending it again would duplicate whatever else of it is still there).
 */
async function committed(handle: Handler, scope: AccessScope, marker: CommitMarker | undefined): Promise<boolean> {
  if (marker === undefined) return false;
  const res = await handle({ method: 'GET', path: `${marker.type}/${marker.id}`, query: new URLSearchParams(), body: undefined, contentType: undefined, headers: {}, scope });
  if (res.status === 200 || res.status === 410) return true;
  if (res.status === 404) return false;
  throw new Error(`could not tell whether ${marker.type}/${marker.id} was imported before: status ${res.status}`);
}

interface ResponseEntry {
  response: { status: string; outcome?: { issue?: { diagnostics?: string }[] } };
}

async function post(handle: Handler, scope: AccessScope, bundle: unknown): Promise<{ entries: ResponseEntry[] }> {
  const res = await handle({
    method: 'POST',
    path: '',
    query: new URLSearchParams(),
    body: JSON.stringify(bundle),
    contentType: 'application/fhir+json',
    headers: { prefer: 'return=minimal' },
    scope,
  });
  const text = res.body === undefined ? '' : res.body.kind === 'raw' ? res.body.text : JSON.stringify(res.body.value);
  const parsed = JSON.parse(text || '{}') as { entry?: ResponseEntry[]; issue?: { diagnostics?: string }[] };
  if (res.status >= 400) throw new Error(parsed.issue?.map((i) => i.diagnostics).join('; ') ?? `status ${res.status}`);
  return { entries: parsed.entry ?? [] };
}
