import type { AccessScope } from '../access/scope.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { Clause } from '../search/query/search-query.js';
import type { ExportFile, ExportJob, ExportJobStore, ExportProgress } from '../storage/bulk/export-job-store.js';
import type { ResourceStore } from '../storage/types.js';
import type { ExportFiles, ExportFileWriter } from './export-files.js';

export interface ExportRunnerDeps {
  readonly store: ResourceStore;
  readonly jobs: ExportJobStore;
  readonly files: ExportFiles;
  /** This node's name in the jobs' leases. */
  readonly owner: string;
  readonly leaseSeconds: number;
  /** Lines per file: a type with more is split. */
  readonly fileLines: number;
  /** How long a finished job's files stay. */
  readonly keepSeconds: number;
  /** A `_typeFilter` query as search clauses (checked at kick-off; parsed again here). */
  readonly filterClauses: (type: string, query: string) => readonly Clause[];
  /** The scope a job runs in: its requester's, compiled now (throws a FhirkeepError if they may no longer export). */
  readonly scopeOf: (job: ExportJob) => Promise<AccessScope>;
  /** At most this long between checkpoints while rows flow (ms). */
  readonly checkpointMs?: number;
  /** Told every checkpoint (the CLI's progress bar). */
  readonly onProgress?: (progress: ExportProgress) => void;
}

/** How a run that was not interrupted ended: the job completed, or its requester may no longer export. */
export type ExportRunResult = { readonly kind: 'completed'; readonly progress: ExportProgress } | { readonly kind: 'refused' };

/** Why a run stopped before the end without failing the job: it is someone else's now, or the node stops. */
export class ExportInterrupted extends Error {}

/**
 * Runs one claimed job from its checkpoint to the end (docs/bulk-export.md): type by type, rows
 * in id order at the job's transaction time, appended to files split at `fileLines`. Every
 * checkpoint first syncs the open file, then records in the job the files' line and byte counts
 * and the last id written, fenced by the lease: a run that lost its lease (or whose job was
 * cancelled) stops at its next checkpoint. A resumed run cuts the file the crash left open back
 * to its committed bytes and goes on in a new file, so no line is written twice or left out.
 * `stopping()` asks the run to stop at the next batch (a node shutting down).
 */
export async function runExport(job: ExportJob, deps: ExportRunnerDeps, stopping: () => boolean): Promise<ExportRunResult> {
  const { jobs, files, owner, leaseSeconds } = deps;
  let scope: AccessScope;
  try {
    scope = await deps.scopeOf(job);
  } catch (e) {
    if (!(e instanceof FhirkeepError)) throw e;
    await jobs.fail(job.id, owner, failureOutcome(e.message), deps.keepSeconds);
    return { kind: 'refused' };
  }

  const state: { -readonly [K in keyof ExportProgress]: ExportProgress[K] } & { files: ExportFile[] } = { ...job.progress, files: [...job.progress.files] };
  const last = state.files.at(-1);
  if (last !== undefined) await files.truncate(job.id, last.name, last.bytes);

  let lost = false;
  const heartbeat = setInterval(() => {
    jobs.renew(job.id, owner, leaseSeconds).then(
      (held) => {
        if (!held) lost = true;
      },
      // A database that does not answer now may answer the next beat; the lease has time to spare.
      () => undefined,
    );
  }, (leaseSeconds * 1000) / 3);
  heartbeat.unref();

  let open: { writer: ExportFileWriter; index: number } | undefined;
  const snapshot = (): ExportProgress => ({ ...state, files: [...state.files] });
  const checkpoint = async () => {
    await open?.writer.sync();
    const progress = snapshot();
    if (!(await jobs.renew(job.id, owner, leaseSeconds, progress))) throw new ExportInterrupted();
    deps.onProgress?.(progress);
  };
  const seal = async () => {
    if (open === undefined) return;
    await open.writer.sync();
    await open.writer.close();
    open = undefined;
  };
  const newFile = async (type: string, error = false) => {
    await seal();
    // A resumed run names its files apart (`-r<attempt>`): a node that lost the lease but runs on
    // until its next checkpoint can never write into a file of the run that took over.
    const name = `${type}-${state.files.length + 1}${job.attempts > 1 ? `-r${job.attempts}` : ''}.ndjson`;
    open = { writer: await files.create(job.id, name), index: state.files.length };
    state.files.push({ type, name, count: 0, bytes: 0, ...(error ? { error } : {}) });
    return open;
  };
  const append = async (lines: readonly Buffer[]) => {
    if (open === undefined) throw new Error('no export file is open');
    const bytes = await open.writer.append(lines);
    const file = state.files[open.index] as ExportFile;
    state.files[open.index] = { ...file, count: file.count + lines.length, bytes: file.bytes + bytes };
  };

  try {
    const every = deps.checkpointMs ?? 1000;
    let lastCheckpoint = Date.now();
    const { request } = job;
    while (state.typeIndex < state.types.length) {
      const type = state.types[state.typeIndex] as string;
      const slice = {
        type,
        transactionTime: job.transactionTime,
        since: request.since === undefined ? undefined : new Date(request.since),
        filters: (request.typeFilters[type] ?? []).map((query) => deps.filterClauses(type, query)),
        patients: request.patients,
        compartmentOnly: request.level.kind !== 'system',
        afterId: state.afterId,
      };
      for await (const batch of prefetching(deps.store.exportSlice(scope, slice))) {
        if (lost || stopping()) throw new ExportInterrupted();
        let rows = batch.lines;
        while (rows.length > 0) {
          const room = deps.fileLines - (open === undefined ? deps.fileLines : (state.files[open.index] as ExportFile).count);
          if (room === 0) {
            await newFile(type);
            continue;
          }
          const part = rows.slice(0, room);
          await append(part);
          state.total += part.length;
          rows = rows.slice(room);
        }
        state.afterId = batch.lastId;
        if (Date.now() - lastCheckpoint >= every) {
          await checkpoint();
          lastCheckpoint = Date.now();
        }
      }
      await seal();
      state.typeIndex += 1;
      state.afterId = undefined;
      await checkpoint();
      lastCheckpoint = Date.now();
    }
    if (request.warnings.length > 0 && !state.files.some((f) => f.error === true)) {
      await newFile('OperationOutcome', true);
      await append(request.warnings.map((w) => Buffer.from(JSON.stringify(warningOutcome(w)))));
      await seal();
    }
    const progress = snapshot();
    if (!(await jobs.complete(job.id, owner, progress, deps.keepSeconds))) throw new ExportInterrupted();
    return { kind: 'completed', progress };
  } finally {
    clearInterval(heartbeat);
    await open?.writer.close().catch(() => undefined);
  }
}

/**
 * The batches of `source`, asking for each next one as soon as the current one is handed out:
 * the database reads the next batch while this process writes the current one, so the two
 * cores work at once instead of in turn.
 */
async function* prefetching<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done === true) return;
      next = iterator.next();
      yield current.value;
    }
  } finally {
    // Stopped early (an error, a lost lease): wait for the fetch in flight, then close the cursor.
    await next.catch(() => undefined);
    await iterator.return?.(undefined);
  }
}

/** A failed job's OperationOutcome (Bulk Data IG: the status request answers it with a 5xx). */
export function failureOutcome(message: string): Record<string, unknown> {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'processing', diagnostics: message }] };
}

function warningOutcome(message: string): Record<string, unknown> {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'not-supported', diagnostics: message }] };
}
