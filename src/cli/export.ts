import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Classifier } from '../access/content/classify.js';
import { systemScope } from '../access/scope.js';
import { exportFilesIn } from '../bulk/export-files.js';
import type { ExportRequest } from '../bulk/export-request.js';
import { ExportInterrupted, runExport } from '../bulk/export-runner.js';
import { loadConfig } from '../config/load.js';
import { AUDIT_TRAIL_TYPE, isStoredType } from '../fhir/audit-trail-type.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { parseInstant } from '../fhir/instant.js';
import { createIndexer } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { createExportJobStore, type ExportJob } from '../storage/bulk/export-job-store.js';
import { storedTypes } from '../storage/export-reader.js';
import { createResourceStore } from '../storage/resource-store.js';
import { exportProgressBar } from './export-progress.js';
import type { Output } from './output.js';
import { withDatabase } from './with-database.js';

export interface ExportOptions {
  readonly type?: readonly string[];
  readonly since?: string;
  readonly out: string;
}

/** The store only reads here: a write, which would need the content taxonomy, is a bug. */
const readOnly: Classifier = () => {
  throw new Error('fhirkeep export writes no resource');
};

/**
 * `fhirkeep export [--type T…] [--since INSTANT] --out DIR` (CONTRACT.md): every resource, as
 * it was at one transaction time, into `<Type>-<n>.ndjson` files in DIR — through the runner a
 * server's $export uses (src/bulk/export-runner.ts), so the files are what a server would
 * write. Its job row is made already running under this process's lease, so no server node
 * takes it (a node that finds it after this process died fails it: a system principal does
 * not export over HTTP), and is deleted at the end: the files are the operator's, not served.
 * Ctrl-C stops at the next batch and deletes the partial files.
 */
export async function exportCommand(options: ExportOptions, out: Output): Promise<number> {
  const known = loadDefinitions().resourceTypes;
  const asked = [...new Set((options.type ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== ''))];
  const unknown = asked.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    out.error(`Unknown resource type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    return 2;
  }
  if (!asked.every(isStoredType)) {
    out.error(`--type ${AUDIT_TRAIL_TYPE}: the audit trail is not among the stored resources exported; an auditor reads it at [base]/${AUDIT_TRAIL_TYPE}`);
    return 2;
  }
  const since = options.since === undefined ? undefined : parseInstant(options.since);
  if (options.since !== undefined && since === undefined) {
    out.error(`--since must be a FHIR instant (e.g. 2024-01-31T12:00:00Z), got "${options.since}"`);
    return 2;
  }
  const dir = resolve(options.out);
  const refused = outDirProblem(dir);
  if (refused !== undefined) {
    out.error(refused);
    return 2;
  }

  const config = loadConfig();
  return withDatabase(async (db) => {
    const started = Date.now();
    const jobs = createExportJobStore(db.sql);
    const files = exportFilesIn(dir);
    const scope = systemScope('fhirkeep export');
    const owner = `${hostname()}/${process.pid}/fhirkeep-export`;
    const request: ExportRequest = {
      level: { kind: 'system' },
      types: asked,
      since: since?.toISOString(),
      typeFilters: {},
      patients: undefined,
      includeProvenance: false,
      warnings: [],
    };
    const commandLine = ['fhirkeep export', ...asked.map((t) => `--type ${t}`), ...(since === undefined ? [] : [`--since ${request.since}`]), `--out ${dir}`].join(' ');

    let stopping = false;
    const bar = exportProgressBar({ terminal: out.terminal, note: (text) => out.note(text) });
    // Once: a second Ctrl-C ends the process at once (Node's default), should stopping hang.
    const stop = () => {
      stopping = true;
      bar.note('Stopping the export (Ctrl-C again to quit at once)…');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const made = mkdirSync(dir, { recursive: true });
    let job: ExportJob | undefined;
    try {
      job = await jobs.createRunning({ clientId: undefined, principal: scope.principal, request, requestUrl: commandLine, types: asked }, owner, config.export.leaseSeconds);
      if (asked.length === 0) {
        // Listed once the transaction time is fixed: a type stored before it is listed, whatever its rows' fate since.
        // AuditEvents written as resources before the audit trail had its table are no trail: left out too.
        const progress = { ...job.progress, types: (await storedTypes(db.sql)).filter(isStoredType) };
        if (!(await jobs.renew(job.id, owner, config.export.leaseSeconds, progress))) throw new ExportInterrupted();
        job = { ...job, progress };
      }
      bar.update(job.progress);
      await runExport(
        job,
        {
          store: createResourceStore(db, createIndexer(r4ParamRegistry()), readOnly),
          jobs,
          files,
          owner,
          leaseSeconds: config.export.leaseSeconds,
          fileLines: config.export.fileLines,
          keepSeconds: config.export.keepSeconds,
          filterClauses: () => {
            throw new Error('fhirkeep export takes no _typeFilter');
          },
          scopeOf: async () => scope,
          onProgress: (p) => bar.update(p),
        },
        () => stopping,
      );
      const done = await jobs.find(job.id);
      if (done?.status !== 'completed') throw new Error(`the export ended ${done?.status ?? 'without its job'}${done?.failure === undefined ? '' : `: ${JSON.stringify(done.failure)}`}`);
      bar.stop();
      const output = done.progress.files.filter((f) => f.count > 0 && f.error !== true);
      const seconds = (Date.now() - started) / 1000;
      const transactionTime = done.transactionTime.toISOString();
      const width = Math.max(0, ...output.map((f) => f.name.length));
      out.result(
        [
          `Exported ${done.progress.total} resources of ${new Set(output.map((f) => f.type)).size} types to ${dir} in ${seconds.toFixed(1)} s (transactionTime ${transactionTime})`,
          ...output.map((f) => `  ${f.name.padEnd(width)}  ${f.count}`),
        ].join('\n'),
        {
          transactionTime,
          dir,
          types: done.progress.types,
          ...(request.since === undefined ? {} : { since: request.since }),
          output: output.map((f) => ({ type: f.type, path: join(dir, f.name), count: f.count })),
          total: done.progress.total,
          seconds,
        },
      );
      return 0;
    } catch (e) {
      bar.stop();
      // No half an export in DIR: an operator might take it for the whole.
      if (job !== undefined) await files.remove(job.id);
      if (made !== undefined) rmSync(made, { recursive: true, force: true });
      if (!(e instanceof ExportInterrupted)) throw e;
      if (stopping) {
        out.error('Export interrupted: its partial files are deleted');
        return 130;
      }
      out.error('The export lost its job to another process (it was stalled longer than FHIRKEEP_EXPORT_LEASE_SECONDS); its partial files are deleted');
      return 1;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (job !== undefined) await jobs.remove(job.id);
    }
  });
}

/** Why DIR cannot take the export: it must be new or empty, so the files in it are this export's and nothing else. */
function outDirProblem(dir: string): string | undefined {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) return `--out ${dir} is not a directory`;
    entries = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return entries.length === 0 ? undefined : `--out ${dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}): give a new or empty directory`;
}
