import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import postgres from 'postgres';
import { createEmptyDatabase } from '../../../test/support/database.js';
import { MIGRATIONS } from './index.js';
import { migrate } from './migrate.js';

test('migration 7 dates the agreements of research partners registered before it, and gives ResearchSubjects their patient', async () => {
  const db = await createEmptyDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const logger = pino({ level: 'silent' });
  try {
    await migrate(sql, logger, MIGRATIONS.filter((m) => m.version < 7));
    await sql`insert into clients (id, type, name, public, created_at) values ('old-partner', 'research', 'p', false, '2024-03-01T12:00:00Z'), ('svc', 'service', 's', false, '2024-03-01T12:00:00Z')`;
    const subject = { resourceType: 'ResearchSubject', id: 'rs', status: 'on-study', study: { reference: 'ResearchStudy/st' }, individual: { reference: 'Patient/p1' } };
    await sql`insert into resources (type, id, version_id, last_updated, content, created_at) values ('ResearchSubject', 'rs', 1, now(), ${JSON.stringify(subject)}, now())`;
    await migrate(sql, logger, MIGRATIONS);
    const clients = await sql<{ id: string; agreement_signed_at: Date | null }[]>`select id, agreement_signed_at from clients order by id`;
    assert.deepEqual(clients.map((c) => [c.id, c.agreement_signed_at?.toISOString() ?? null]), [['old-partner', '2024-03-01T12:00:00.000Z'], ['svc', null]]);
    const [row] = await sql<{ patient_id: string | null }[]>`select patient_id from resources where id = 'rs'`;
    assert.equal(row?.patient_id, 'p1');
  } finally {
    await sql.end();
    await db.drop();
  }
});
