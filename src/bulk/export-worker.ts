import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/audit-trail.js';
import { exportAuditRow } from '../audit/export-audit.js';
import type { ExportJob } from '../storage/bulk/export-job-store.js';
import { ExportInterrupted, failureOutcome, runExport, type ExportRunnerDeps } from './export-runner.js';

export interface ExportWorkerOptions extends Omit<ExportRunnerDeps, 'owner'> {
  readonly logger: Logger;
  /** Jobs this node runs at once. */
  readonly concurrency: number;
  /** How often to look for jobs (ms): queued ones, and those of nodes whose lease lapsed. */
  readonly pollMs: number;
  /** A job whose runs failed this often (crashes included) fails for good. */
  readonly maxAttempts: number;
  /** Where each job's end is audited (docs/audit.md). */
  readonly audit?: Pick<AuditTrail, 'record'>;
}

export interface ExportWorker {
  /** Looks for work now (a kick-off on this node). */
  nudge(): void;
  /** Jobs this node runs right now. */
  running(): number;
  /** Stops taking jobs, stops the running ones at their next batch and hands them back. */
  close(): Promise<void>;
}

/**
 * One node's export worker: claims jobs from the shared table (FOR UPDATE SKIP LOCKED, so two
 * nodes never take the same one), runs up to `concurrency` at once, deletes expired jobs and
 * their files. A run that fails unexpectedly is retried later, from its checkpoint, by any node.
 */
export function startExportWorker(o: ExportWorkerOptions): ExportWorker {
  const owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const deps: ExportRunnerDeps = { ...o, owner };
  const running = new Set<Promise<void>>();
  let closing = false;
  let ticking = false;
  /** A nudge came while a tick ran: look again once it ends. */
  let again = false;

  const run = async (job: ExportJob) => {
    if (job.attempts > o.maxAttempts) {
      await o.jobs.fail(job.id, owner, failureOutcome(`The export failed ${o.maxAttempts} times; ask for it again`), o.keepSeconds);
      await o.audit?.record(exportAuditRow(job, { kind: 'failed' }));
      return;
    }
    try {
      const result = await runExport(job, deps, () => closing);
      await o.audit?.record(exportAuditRow(job, result));
      o.logger.info({ job: job.id }, 'bulk export finished');
    } catch (e) {
      if (e instanceof ExportInterrupted) {
        // Cancelled: the sweep may have deleted the directory before this run's last file recreated it.
        if ((await o.jobs.find(job.id)) === undefined) await o.files.remove(job.id);
        return;
      }
      o.logger.error({ err: e, job: job.id, attempt: job.attempts }, 'bulk export run failed; it will be retried');
      await o.jobs.retryLater(job.id, owner, Math.min(60, 2 ** job.attempts));
    }
  };

  const tick = async () => {
    if (closing) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    again = false;
    try {
      // One indexed delete per poll: expired files go within a poll of their expiry.
      for (const id of await o.jobs.sweep()) await o.files.remove(id);
      while (!closing && running.size < o.concurrency) {
        const job = await o.jobs.claim(owner, o.leaseSeconds);
        if (job === undefined) break;
        const done: Promise<void> = run(job)
          .catch((e: unknown) => o.logger.error({ err: e, job: job.id }, 'bulk export bookkeeping failed'))
          .finally(() => {
            running.delete(done);
            // A slot is free: the next queued job need not wait for the timer.
            void tick();
          });
        running.add(done);
      }
    } catch (e) {
      o.logger.warn({ err: e }, 'could not look for bulk export jobs');
    } finally {
      ticking = false;
    }
    if (again) void tick();
  };

  const timer = setInterval(() => void tick(), o.pollMs);
  timer.unref();
  void tick();
  return {
    nudge: () => void tick(),
    running: () => running.size,
    async close() {
      closing = true;
      clearInterval(timer);
      await Promise.all(running);
      await o.jobs.release(owner).catch((e: unknown) => o.logger.warn({ err: e }, 'could not hand back bulk export jobs'));
    },
  };
}
