import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import type { Principal } from '../../access/principal.js';
import type { ExportRequest } from '../../bulk/export-request.js';

/** One file of an export: its committed lines and bytes (anything past them is an interrupted write). */
export interface ExportFile {
  /** The resource type of its lines (OperationOutcome for the error file). */
  readonly type: string;
  /** The error file: OperationOutcomes about the export, not exported data (the manifest's `error`). */
  readonly error?: boolean;
  readonly name: string;
  readonly count: number;
  readonly bytes: number;
}

/** A job's checkpoint: what is written for good, and where to go on from. */
export interface ExportProgress {
  /** The types to export, in order (the request's, narrowed by the scope at kick-off). */
  readonly types: readonly string[];
  /** The type being exported (types.length: all done). */
  readonly typeIndex: number;
  /** The last id of that type looked at. */
  readonly afterId: string | undefined;
  /** Files written, the last one possibly still open. */
  readonly files: readonly ExportFile[];
  /** Resources written in all. */
  readonly total: number;
}

export type ExportStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExportJob {
  readonly id: string;
  readonly clientId: string | undefined;
  readonly principal: Principal;
  readonly request: ExportRequest;
  readonly requestUrl: string;
  readonly transactionTime: Date;
  readonly status: ExportStatus;
  readonly progress: ExportProgress;
  /** A failed job's OperationOutcome. */
  readonly failure: unknown;
  readonly attempts: number;
  readonly polledAt: Date | undefined;
  readonly finishedAt: Date | undefined;
  readonly expiresAt: Date | undefined;
}

export interface NewExportJob {
  readonly clientId: string | undefined;
  readonly principal: Principal;
  readonly request: ExportRequest;
  readonly requestUrl: string;
  readonly types: readonly string[];
}

/** Bulk export jobs in PostgreSQL, shared by every node (src/storage/migrations/009-bulk-export.ts). */
export interface ExportJobStore {
  /** Queues a job, unless its client already has `maxActive` queued or running: then undefined. */
  create(job: NewExportJob, maxActive: number): Promise<ExportJob | undefined>;
  /**
   * Inserts a job already running under `owner`'s lease, for a process that runs it itself (the
   * operator's `fhirkeep export`): no node claims it while that process renews the lease, and
   * it counts against no client's limit.
   */
  createRunning(job: NewExportJob, owner: string, leaseSeconds: number): Promise<ExportJob>;
  /** Deletes a job at once, in whatever state (the operator's export when it ends: its files are not served). */
  remove(id: string): Promise<void>;
  /** A job that has not expired, in whatever state. */
  find(id: string): Promise<ExportJob | undefined>;
  /** Records a status request of a job in progress; false if the last one was less than `intervalMs` ago. */
  poll(id: string, intervalMs: number): Promise<boolean>;
  /** Takes the oldest job that is queued, or running on a node whose lease lapsed (FOR UPDATE SKIP LOCKED). */
  claim(owner: string, leaseSeconds: number): Promise<ExportJob | undefined>;
  /** Extends the lease (and saves the checkpoint, when given); false once the job is no longer this owner's to run. */
  renew(id: string, owner: string, leaseSeconds: number, progress?: ExportProgress): Promise<boolean>;
  /** Marks the job done with its final checkpoint, to expire after `keepSeconds`; false if it was not this owner's. */
  complete(id: string, owner: string, progress: ExportProgress, keepSeconds: number): Promise<boolean>;
  /** Marks the job failed with its OperationOutcome, to expire after `keepSeconds`. */
  fail(id: string, owner: string, outcome: unknown, keepSeconds: number): Promise<void>;
  /** Hands a job back after a failed attempt: no node takes it for `delaySeconds`. */
  retryLater(id: string, owner: string, delaySeconds: number): Promise<void>;
  /** Gives up this owner's leases at once, so another node resumes its jobs without waiting (a clean shutdown); a run handed back is no attempt. */
  release(owner: string): Promise<void>;
  /** Cancels a job that has not expired (its files go with the next sweep); false if there was none. */
  cancel(id: string): Promise<boolean>;
  /** Deletes the jobs past their expiry (cancelled ones at once) and answers their ids, whose files go too. */
  sweep(): Promise<string[]>;
  /** How many jobs that have not expired are in each status, on every node (a metrics scrape). */
  countByStatus(): Promise<Readonly<Record<ExportStatus, number>>>;
}

interface JobRow {
  id: string;
  client_id: string | null;
  principal: Principal;
  request: ExportRequest;
  request_url: string;
  transaction_time: Date;
  status: ExportStatus;
  progress: ExportProgress;
  failure: unknown;
  attempts: number;
  polled_at: Date | null;
  finished_at: Date | null;
  expires_at: Date | null;
}

const LIVE = `(expires_at is null or expires_at > now())`;

export function createExportJobStore(sql: Sql): ExportJobStore {
  const jsonb = (value: unknown) => sql.json(value as never);
  return {
    async create(job, maxActive) {
      return sql.begin(async (tx) => {
        // Serialises the kick-offs of one client, so two at once cannot both pass the limit.
        await tx`select pg_advisory_xact_lock(hashtext('fhirkeep-export:' || ${job.clientId ?? ''}))`;
        // No client: anonymous development kick-offs, and the operator's `fhirkeep export`, which is not theirs to count.
        const [active] = await tx<{ n: number }[]>`
          select count(*)::int as n from export_jobs
          where client_id is not distinct from ${job.clientId ?? null} and status in ('queued', 'running') and principal->>'kind' <> 'system'`;
        if ((active?.n ?? 0) >= maxActive) return undefined;
        const [row] = await tx<JobRow[]>`
          insert into export_jobs (id, client_id, principal, request, request_url, transaction_time, status, progress)
          values (${randomUUID()}, ${job.clientId ?? null}, ${jsonb(job.principal)}, ${jsonb(job.request)}, ${job.requestUrl}, now(), 'queued', ${jsonb(startOf(job))})
          returning *`;
        return row === undefined ? undefined : jobOf(row);
      }) as Promise<ExportJob | undefined>;
    },

    async createRunning(job, owner, leaseSeconds) {
      const [row] = await sql<JobRow[]>`
        insert into export_jobs (id, client_id, principal, request, request_url, transaction_time, status, progress, lease_owner, lease_until, attempts)
        values (${randomUUID()}, ${job.clientId ?? null}, ${jsonb(job.principal)}, ${jsonb(job.request)}, ${job.requestUrl}, now(), 'running', ${jsonb(startOf(job))},
          ${owner}, now() + ${leaseSeconds} * interval '1 second', 1)
        returning *`;
      if (row === undefined) throw new Error('inserting an export job returned no row');
      return jobOf(row);
    },

    async remove(id) {
      await sql`delete from export_jobs where id = ${id}`;
    },

    async find(id) {
      if (!isUuid(id)) return undefined;
      const [row] = await sql.unsafe<JobRow[]>(`select * from export_jobs where id = $1 and status <> 'cancelled' and ${LIVE}`, [id]);
      return row === undefined ? undefined : jobOf(row);
    },

    async poll(id, intervalMs) {
      const rows = await sql`
        update export_jobs set polled_at = now()
        where id = ${id} and (polled_at is null or polled_at <= now() - ${intervalMs} * interval '1 millisecond')
        returning 1`;
      return rows.length > 0;
    },

    async claim(owner, leaseSeconds) {
      const [row] = await sql<JobRow[]>`
        update export_jobs set status = 'running', lease_owner = ${owner}, lease_until = now() + ${leaseSeconds} * interval '1 second', attempts = attempts + 1
        where id = (
          select id from export_jobs
          where status = 'queued' or (status = 'running' and lease_until < now())
          order by created_at
          for update skip locked
          limit 1)
        returning *`;
      return row === undefined ? undefined : jobOf(row);
    },

    async renew(id, owner, leaseSeconds, progress) {
      const rows =
        progress === undefined
          ? await sql`update export_jobs set lease_until = now() + ${leaseSeconds} * interval '1 second'
              where id = ${id} and lease_owner = ${owner} and status = 'running' returning 1`
          : await sql`update export_jobs set lease_until = now() + ${leaseSeconds} * interval '1 second', progress = ${jsonb(progress)}
              where id = ${id} and lease_owner = ${owner} and status = 'running' returning 1`;
      return rows.length > 0;
    },

    async complete(id, owner, progress, keepSeconds) {
      const rows = await sql`
        update export_jobs set status = 'completed', progress = ${jsonb(progress)}, lease_owner = null, lease_until = null,
          finished_at = now(), expires_at = now() + ${keepSeconds} * interval '1 second'
        where id = ${id} and lease_owner = ${owner} and status = 'running' returning 1`;
      return rows.length > 0;
    },

    async fail(id, owner, outcome, keepSeconds) {
      await sql`
        update export_jobs set status = 'failed', failure = ${jsonb(outcome)}, lease_owner = null, lease_until = null,
          finished_at = now(), expires_at = now() + ${keepSeconds} * interval '1 second'
        where id = ${id} and lease_owner = ${owner} and status = 'running'`;
    },

    async retryLater(id, owner, delaySeconds) {
      await sql`update export_jobs set lease_owner = null, lease_until = now() + ${delaySeconds} * interval '1 second'
        where id = ${id} and lease_owner = ${owner} and status = 'running'`;
    },

    async release(owner) {
      // The claim counted an attempt, but a run handed back did not fail: rolling restarts must
      // not use up a long export's attempts (the worker fails a job past maxAttempts).
      // No owner left: a heartbeat of the stopped run landing late cannot take the lease back.
      await sql`update export_jobs set lease_owner = null, lease_until = now() - interval '1 second', attempts = attempts - 1
        where lease_owner = ${owner} and status = 'running'`;
    },

    async cancel(id) {
      if (!isUuid(id)) return false;
      const rows = await sql.unsafe(
        `update export_jobs set status = 'cancelled', lease_owner = null, lease_until = null, expires_at = now()
         where id = $1 and status <> 'cancelled' and ${LIVE} returning 1`,
        [id],
      );
      return rows.length > 0;
    },

    async sweep() {
      const rows = await sql<{ id: string }[]>`delete from export_jobs where expires_at <= now() returning id`;
      return rows.map((r) => r.id);
    },

    async countByStatus() {
      const rows = await sql.unsafe<{ status: ExportStatus; n: number }[]>(`select status, count(*)::int as n from export_jobs where ${LIVE} group by status`);
      const counts: Record<ExportStatus, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
      for (const r of rows) counts[r.status] = r.n;
      return counts;
    },
  };
}

/** A new job's checkpoint: nothing written yet. */
function startOf(job: NewExportJob): ExportProgress {
  return { types: job.types, typeIndex: 0, afterId: undefined, files: [], total: 0 };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Job ids are UUIDs: anything else names no job, without a query (and without a 500 for a bad uuid). */
function isUuid(id: string): boolean {
  return UUID.test(id);
}

function jobOf(row: JobRow): ExportJob {
  return {
    id: row.id,
    clientId: row.client_id ?? undefined,
    principal: row.principal,
    request: row.request,
    requestUrl: row.request_url,
    transactionTime: row.transaction_time,
    status: row.status,
    progress: row.progress,
    failure: row.failure,
    attempts: row.attempts,
    polledAt: row.polled_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
    expiresAt: row.expires_at ?? undefined,
  };
}
