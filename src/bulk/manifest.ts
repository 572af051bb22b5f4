import type { ExportJob } from '../storage/bulk/export-job-store.js';

/** One file of a manifest (Bulk Data IG "Response - Complete Status"). */
export interface ManifestEntry {
  readonly type: string;
  readonly url: string;
  readonly count: number;
}

/** The body of a completed export's status request. */
export interface Manifest {
  readonly transactionTime: string;
  /** The kick-off's URL. */
  readonly request: string;
  readonly requiresAccessToken: true;
  readonly output: readonly ManifestEntry[];
  /** NDJSON files of OperationOutcomes about the export (what lenient handling left out). */
  readonly error: readonly ManifestEntry[];
}

/** A completed job's manifest: its files with lines, the error file apart; `url` names each file's download. */
export function manifestOf(job: ExportJob, url: (name: string) => string): Manifest {
  const listed = job.progress.files.filter((f) => f.count > 0);
  const entry = (f: (typeof listed)[number]): ManifestEntry => ({ type: f.type, url: url(f.name), count: f.count });
  return {
    transactionTime: job.transactionTime.toISOString(),
    request: job.requestUrl,
    requiresAccessToken: true,
    output: listed.filter((f) => f.error !== true).map(entry),
    error: listed.filter((f) => f.error === true).map(entry),
  };
}
