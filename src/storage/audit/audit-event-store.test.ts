import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { AuditRow } from '../../audit/audit-row.js';
import { insertAuditEvents } from './audit-event-store.js';

let testDb: TestDatabase;
before(async () => {
  testDb = await createTestDatabase();
});
after(() => testDb.drop());

const at = new Date('2025-06-01T12:00:00.123Z');
const base: AuditRow = { recorded: at, type: 'rest', subtype: 'read', action: 'R', outcome: 0 };

test('a batch is one insert of every row, with absent fields null or empty', async () => {
  const { sql } = testDb.db;
  await insertAuditEvents(sql, [
    { ...base, accountId: 'acc', clientId: 'app', onBehalfOf: 'Organization/o1', ip: '192.0.2.1', requestId: 'r1', entity: ['Patient/p1'], query: '_id=p1', patientIds: ['p1'], detail: { key_id: 'k' } },
    { ...base, subtype: 'search-type', outcome: 4, outcomeDesc: 'forbidden' },
  ]);
  const rows = await sql`select recorded, subtype, outcome, outcome_desc, account_id, client_id, on_behalf_of, ip, request_id, entity, query, patient_ids, detail from audit_events order by seq`;
  assert.deepEqual(rows.map((r) => ({ ...r })), [
    { recorded: at, subtype: 'read', outcome: 0, outcome_desc: null, account_id: 'acc', client_id: 'app', on_behalf_of: 'Organization/o1', ip: '192.0.2.1', request_id: 'r1', entity: ['Patient/p1'], query: '_id=p1', patient_ids: ['p1'], detail: { key_id: 'k' } },
    { recorded: at, subtype: 'search-type', outcome: 4, outcome_desc: 'forbidden', account_id: null, client_id: null, on_behalf_of: null, ip: null, request_id: null, entity: [], query: null, patient_ids: [], detail: {} },
  ]);
});

test('NUL, which PostgreSQL text and jsonb cannot hold, is written as U+FFFD; an escaped backslash stays as sent', async () => {
  const { sql } = testDb.db;
  await insertAuditEvents(sql, [{ ...base, requestId: 'nul', query: 'a=\0&b=\\u0000', entity: ['X/\0'], detail: { why: '\0' } }]);
  const [row] = await sql`select query, entity, detail from audit_events where request_id = 'nul'`;
  assert.deepEqual({ ...row }, { query: 'a=\uFFFD&b=\\u0000', entity: ['X/\uFFFD'], detail: { why: '\uFFFD' } });
});

test('rows inserted in a transaction roll back with it', async () => {
  const { sql } = testDb.db;
  await assert.rejects(
    sql.begin(async (tx) => {
      await insertAuditEvents(tx, [{ ...base, requestId: 'rolled-back' }]);
      throw new Error('the write failed');
    }),
  );
  assert.equal((await sql`select 1 from audit_events where request_id = 'rolled-back'`).length, 0);
});
