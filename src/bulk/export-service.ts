import type { Readable } from 'node:stream';
import type { Principal } from '../access/principal.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { informationOutcome } from '../errors/operation-outcome.js';
import type { FhirResponse } from '../rest/fhir-request.js';
import { httpDate } from '../rest/http-dates.js';
import type { ExportJob, ExportJobStore, NewExportJob } from '../storage/bulk/export-job-store.js';
import { isExportFileName, type ExportFiles } from './export-files.js';
import { manifestOf } from './manifest.js';
import { sameRequester } from './requester.js';

export interface BulkExportOptions {
  readonly jobs: ExportJobStore;
  readonly files: ExportFiles;
  /** The FHIR base URL (`…/fhir`), known once the listener is bound. */
  readonly fhirBase: () => string;
  /** Retry-After of a status request while the job runs; asking sooner is a 429. */
  readonly pollSeconds: number;
  /** Exports one client may have queued or running at once. */
  readonly maxActivePerClient: number;
  /** Tells this node's worker that a job is waiting (undefined: no worker here, another node runs it). */
  readonly nudge?: () => void;
}

/** The parts of Bulk Data export that answer requests: kick-off bookkeeping, status, cancel, files. */
export interface BulkExportService {
  /** Queues a job; 429 while its client has as many exports in progress as it may. */
  kickOff(job: NewExportJob): Promise<ExportJob>;
  /** The status URL of a job (with the parameters every link of the request must carry). */
  statusUrl(id: string, linkParams?: URLSearchParams): string;
  status(id: string, caller: Principal, linkParams?: URLSearchParams): Promise<FhirResponse>;
  cancel(id: string, caller: Principal): Promise<FhirResponse>;
  /** One file of a completed job, as committed; not-found for anyone but its requester. */
  file(id: string, name: string, caller: Principal): Promise<{ readonly stream: Readable; readonly bytes: number }>;
}

/** A poll this much early still counts as on time: clients round Retry-After and timers run late or early. */
const POLL_SLACK_MS = 250;

export function createBulkExport(o: BulkExportOptions): BulkExportService {
  const withParams = (url: string, params: URLSearchParams | undefined) => (params === undefined || [...params].length === 0 ? url : `${url}?${params.toString()}`);
  const statusUrl = (id: string, params?: URLSearchParams) => withParams(`${o.fhirBase()}/bulk-status/${id}`, params);
  const fileUrl = (id: string, name: string, params: URLSearchParams | undefined) => withParams(`${o.fhirBase()}/bulk-files/${id}/${name}`, params);

  /** The caller's job; anyone else's is as unknown as one that never was. */
  const owned = async (id: string, caller: Principal): Promise<ExportJob> => {
    const job = await o.jobs.find(id);
    if (job === undefined || !sameRequester(job.principal, caller)) throw new FhirkeepError('not-found', `There is no export ${id}`);
    return job;
  };

  return {
    async kickOff(job) {
      const made = await o.jobs.create(job, o.maxActivePerClient);
      if (made === undefined) {
        throw new FhirkeepError('too-many-requests', `This client already has ${o.maxActivePerClient} exports in progress: wait for one to finish, or cancel one`, {
          headers: { 'Retry-After': String(o.pollSeconds) },
        });
      }
      o.nudge?.();
      return made;
    },

    statusUrl,

    async status(id, caller, linkParams) {
      const job = await owned(id, caller);
      if (job.status === 'queued' || job.status === 'running') {
        const retryAfter = { 'Retry-After': String(o.pollSeconds) };
        if (!(await o.jobs.poll(job.id, o.pollSeconds * 1000 - POLL_SLACK_MS))) {
          throw new FhirkeepError('too-many-requests', `Poll the status of this export at most every ${o.pollSeconds} s`, { headers: retryAfter });
        }
        return { status: 202, headers: { ...retryAfter, 'X-Progress': progressText(job) }, body: { kind: 'json', value: informationOutcome(progressText(job)) } };
      }
      const expires: Record<string, string> = job.expiresAt === undefined ? {} : { Expires: httpDate(job.expiresAt) };
      if (job.status === 'failed') return { status: 500, headers: expires, body: { kind: 'json', value: job.failure } };
      return { status: 200, headers: expires, body: { kind: 'json', value: manifestOf(job, (name) => fileUrl(job.id, name, linkParams)) } };
    },

    async cancel(id, caller) {
      await owned(id, caller);
      // A job that finished or expired between the two statements is just as gone.
      if (!(await o.jobs.cancel(id))) throw new FhirkeepError('not-found', `There is no export ${id}`);
      return { status: 202, headers: {}, body: { kind: 'json', value: informationOutcome(`Export ${id} is cancelled; its files are deleted`) } };
    },

    async file(id, name, caller) {
      const job = await owned(id, caller);
      const file = job.status === 'completed' && isExportFileName(name) ? job.progress.files.find((f) => f.name === name) : undefined;
      if (file === undefined) throw new FhirkeepError('not-found', `Export ${id} has no file ${name}`);
      return { stream: o.files.read(job.id, file.name, file.bytes), bytes: file.bytes };
    },
  };
}

/** X-Progress (Bulk Data IG: free text): the type being exported and the count so far. */
function progressText(job: ExportJob): string {
  if (job.status === 'queued') return 'queued';
  const { types, typeIndex, total } = job.progress;
  const type = types[typeIndex];
  return type === undefined ? `finishing: ${total} resources` : `exporting ${type} (type ${typeIndex + 1} of ${types.length}): ${total} resources so far`;
}
