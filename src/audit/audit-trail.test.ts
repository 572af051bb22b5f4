import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { AuditRow } from './audit-row.js';
import { startAuditTrail, type AuditTrailOptions } from './audit-trail.js';

const silent = pino({ level: 'silent' });
const row = (subtype: string): AuditRow => ({ recorded: new Date(), type: 'rest', subtype, action: 'R', outcome: 0 });

/** A database that answers only when told: each insert waits for `release()`. */
function stalledDatabase() {
  const written: string[][] = [];
  let open: (() => void) | undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  return {
    written,
    write: async (rows: readonly AuditRow[]) => {
      await gate;
      written.push(rows.map((r) => r.subtype));
    },
    release() {
      open?.();
      gate = Promise.resolve();
    },
  };
}

const options = (write: AuditTrailOptions['write'], over: Partial<AuditTrailOptions> = {}): AuditTrailOptions => ({ write, logger: silent, capacity: 4, batchSize: 2, flushMs: 10, retryMs: 5, maxRetryMs: 20, ...over });

test('a full queue makes recorders wait (back-pressure): nothing is dropped, and they go on once a batch is written', async () => {
  const db = stalledDatabase();
  const trail = startAuditTrail(options(db.write));
  for (const s of ['a', 'b', 'c', 'd']) assert.equal(trail.record(row(s)), undefined, `${s} fits`);
  const waiting = [trail.record(row('e')), trail.record(row('f'))];
  assert.ok(waiting.every((w) => w instanceof Promise), 'past capacity a recorder is handed a wait');
  let admitted = 0;
  for (const w of waiting) void w?.then(() => admitted++);
  await sleep(50);
  assert.equal(admitted, 0, 'the database is stalled: they still wait');
  assert.deepEqual(trail.stats(), { depth: 6, capacity: 4, written: 0, failedBatches: 0, waited: 2, overflowed: 0 });

  db.release();
  await Promise.all(waiting);
  assert.equal(admitted, 2);
  await trail.flush();
  assert.deepEqual(db.written.flat(), ['a', 'b', 'c', 'd', 'e', 'f'], 'every row, in order');
  assert.ok(db.written.every((batch) => batch.length <= 2), 'in batches of at most batchSize');
  assert.deepEqual(trail.stats(), { depth: 0, capacity: 4, written: 6, failedBatches: 0, waited: 2, overflowed: 0 });
  await trail.close();
});

test('a partial batch is written after the flush interval; a full one at once', async () => {
  const batches: string[][] = [];
  const trail = startAuditTrail(options(async (rows) => void batches.push(rows.map((r) => r.subtype)), { flushMs: 60_000, batchSize: 2, capacity: 10 }));
  trail.record(row('a'));
  await sleep(20);
  assert.deepEqual(batches, [], 'one row waits for company (or the timer)');
  trail.record(row('b'));
  await sleep(20);
  assert.deepEqual(batches, [['a', 'b']], 'a full batch goes at once');
  await trail.close();

  const timed: string[][] = [];
  const soon = startAuditTrail(options(async (rows) => void timed.push(rows.map((r) => r.subtype)), { flushMs: 10, batchSize: 100, capacity: 100 }));
  soon.record(row('x'));
  await sleep(60);
  assert.deepEqual(timed, [['x']]);
  await soon.close();
});

test('a failed batch is kept and retried until the database answers; failures are counted', async () => {
  let failures = 2;
  const written: string[] = [];
  const trail = startAuditTrail(
    options(async (rows) => {
      if (failures-- > 0) throw new Error('database unavailable');
      written.push(...rows.map((r) => r.subtype));
    }),
  );
  trail.record(row('a'));
  await trail.flush();
  assert.deepEqual(written, ['a']);
  assert.equal(trail.stats().failedBatches, 2);
  assert.equal(trail.stats().written, 1);
  await trail.close();
});

test('close writes everything still queued or waiting', async () => {
  const db = stalledDatabase();
  const trail = startAuditTrail(options(db.write, { flushMs: 60_000, batchSize: 100, capacity: 2 }));
  trail.record(row('a'));
  trail.record(row('b'));
  const late = trail.record(row('c'));
  const closed = trail.close();
  db.release();
  await closed;
  await late;
  assert.deepEqual(db.written.flat(), ['a', 'b', 'c']);
  assert.equal(trail.stats().depth, 0);
});

test('a database that stays down at shutdown is given up on after a few tries, and says how much was lost', async () => {
  const lines: { msg: string; unwritten?: number }[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const trail = startAuditTrail(options(async () => Promise.reject(new Error('down')), { logger, closeAttempts: 3 }));
  trail.record(row('a'));
  await trail.close();
  assert.equal(trail.stats().failedBatches, 3);
  assert.deepEqual(lines.map((l) => [l.msg, l.unwritten]).at(-1), ['audit trail: the database did not answer at shutdown; these audit rows were not written', 1]);
});
