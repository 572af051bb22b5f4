import type { Logger } from 'pino';
import type { AuditRow } from './audit-row.js';

/** The queue's state for metrics: `depth` now, counters in total since start. */
export interface AuditQueueStats {
  readonly depth: number;
  readonly capacity: number;
  readonly written: number;
  readonly failedBatches: number;
  readonly waited: number;
  readonly overflowed: number;
}

/**
 * The audit trail of one node: rows that need not share a write's transaction (reads, searches,
 * refusals, security events) are queued and written in batches, one multi-row insert each.
 */
export interface AuditTrail {
  /**
   * Queues a row. Undefined when there was room; otherwise (back-pressure) a promise that
   * resolves once the row is in the queue, which a request awaits before it is answered.
   */
  record(row: AuditRow): Promise<void> | undefined;
  /** Writes everything queued so far (retrying a failing database until it answers). */
  flush(): Promise<void>;
  stats(): AuditQueueStats;
  /** Writes what is left (a database that stays down is given up on, loudly, after a few tries). */
  close(): Promise<void>;
}

export interface AuditTrailOptions {
  /** Inserts one batch (src/storage/audit/audit-event-store.ts). */
  readonly write: (rows: readonly AuditRow[]) => Promise<void>;
  readonly logger: Logger;
  /** Most rows queued; more wait (FHIRKEEP_AUDIT_QUEUE_SIZE). */
  readonly capacity: number;
  /** Most rows per insert; a full batch is written at once, a partial one after `flushMs`. */
  readonly batchSize: number;
  readonly flushMs: number;
  /** First pause after a failed batch, doubled up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /** Tries per batch on close before giving up on a database that does not answer. */
  readonly closeAttempts?: number;
}

interface Waiter {
  readonly row: AuditRow;
  readonly admitted: () => void;
}

/**
 * Never drops a row silently: the queue is bounded, and when it is full the recorder waits
 * (back-pressure) until a batch is written and room is made. A stalled database therefore slows
 * the requests it would fail anyway, instead of losing their audit; a failed batch stays at the
 * head of the queue and is retried. `overflowed` stays 0: nothing is ever discarded for room.
 */
export function startAuditTrail(o: AuditTrailOptions): AuditTrail {
  return new QueuedAuditTrail(o);
}

class QueuedAuditTrail implements AuditTrail {
  private readonly queue: AuditRow[] = [];
  /** Rows whose recorders wait for room, in arrival order. */
  private readonly waiters: Waiter[] = [];
  private written = 0;
  private failedBatches = 0;
  private waited = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The one write loop running, if any. */
  private writing: Promise<void> | undefined;
  /** Logged once per outage and once per full-queue episode, not on every retry or wait. */
  private failing = false;
  private full = false;
  private closing = false;

  constructor(private readonly o: AuditTrailOptions) {}

  record(row: AuditRow): Promise<void> | undefined {
    // Behind waiters, a row waits too: the queue stays in arrival order.
    if (this.queue.length < this.o.capacity && this.waiters.length === 0) {
      this.queue.push(row);
      this.schedule();
      return undefined;
    }
    this.waited++;
    if (!this.full) {
      this.full = true;
      this.o.logger.warn({ capacity: this.o.capacity }, 'audit queue full: requests wait until the audit trail is written');
    }
    const admitted = new Promise<void>((resolve) => this.waiters.push({ row, admitted: resolve }));
    this.schedule();
    return admitted;
  }

  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.waiters.length > 0) {
      // The loop running may stop at a partial batch; run again until nothing is left.
      await (this.writing ?? this.startWriting(true));
      if (this.closing && this.failing) return;
    }
  }

  stats(): AuditQueueStats {
    return { depth: this.queue.length + this.waiters.length, capacity: this.o.capacity, written: this.written, failedBatches: this.failedBatches, waited: this.waited, overflowed: 0 };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    const left = this.queue.length + this.waiters.length;
    if (left > 0) this.o.logger.error({ unwritten: left }, 'audit trail: the database did not answer at shutdown; these audit rows were not written');
  }

  /** A full batch is written now; a partial one when the timer fires, so batches fill under load. */
  private schedule(): void {
    if (this.writing !== undefined) return;
    if (this.queue.length >= this.o.batchSize || this.waiters.length > 0) {
      void this.startWriting(false);
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.startWriting(true);
      }, this.o.flushMs);
      this.timer.unref();
    }
  }

  private startWriting(all: boolean): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const run = this.writeLoop(all).finally(() => {
      this.writing = undefined;
      if (!this.closing && this.queue.length + this.waiters.length > 0) this.schedule();
    });
    this.writing = run;
    return run;
  }

  private async writeLoop(all: boolean): Promise<void> {
    let pause = this.o.retryMs ?? 100;
    let attempts = 0;
    while (this.queue.length > 0 && (all || this.queue.length >= this.o.batchSize || this.waiters.length > 0)) {
      const batch = this.queue.slice(0, this.o.batchSize);
      try {
        await this.o.write(batch);
      } catch (err) {
        this.failedBatches++;
        attempts++;
        // Once per outage at error level; the retries would drown the log.
        if (this.failing) this.o.logger.debug({ err }, 'audit trail: a batch failed again; retrying');
        else this.o.logger.error({ err, depth: this.queue.length, waiting: this.waiters.length }, 'audit trail: could not write a batch; keeping it and retrying');
        this.failing = true;
        if (this.closing && attempts >= (this.o.closeAttempts ?? 5)) return;
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, this.o.maxRetryMs ?? 5_000);
        continue;
      }
      if (this.failing) this.o.logger.info('audit trail: written again');
      this.failing = false;
      attempts = 0;
      pause = this.o.retryMs ?? 100;
      this.queue.splice(0, batch.length);
      this.written += batch.length;
      this.admitWaiters();
    }
  }

  private admitWaiters(): void {
    while (this.waiters.length > 0 && this.queue.length < this.o.capacity) {
      const waiter = this.waiters.shift() as Waiter;
      this.queue.push(waiter.row);
      waiter.admitted();
    }
    if (this.waiters.length === 0) this.full = false;
  }
}
