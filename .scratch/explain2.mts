import { createTestDatabase } from '../test/support/database.js';
const t = await createTestDatabase();
const sql = t.db.sql;
await sql`insert into clients (id, type, name, public) values ('svc', 'service', 'svc', false)`;
await sql`insert into accounts (id, email, roles, patient_id) select 'a'||i, 'a'||i||'@x', '{patient}', 'p'||i from generate_series(1,3000) i`;
await sql`insert into consents (id, kind, status, account_id, client_id, patient_id, filter_version, resource) select gen_random_uuid(), 'service', 'active', 'a'||i, 'svc', 'p'||i, 1, '{}' from generate_series(1,3000) i`;
await sql`insert into resources (type, id, version_id, last_updated, content, patient_id, created_at) select 'Condition', 'c'||i, 1, now(), '{}', 'p'||(i % 3000), now() from generate_series(1,300000) i`;
await sql`analyze`;
const variants: Record<string, string> = {
  in_or: `select r.id from resources r where r.tenant=0 and r.type='Condition' and r.patient_id = 'p77' and (r.patient_id in (select c.patient_id from consents c where c.client_id='svc' and c.kind='service' and c.status='active' and c.filter_version=1) or (r.patient_id is null and r.source_app = 'svc')) limit 50`,
  exists_or: `select r.id from resources r where r.tenant=0 and r.type='Condition' and r.patient_id = 'p77' and (exists (select 1 from consents c where c.client_id='svc' and c.kind='service' and c.status='active' and c.filter_version=1 and c.patient_id = r.patient_id) or (r.patient_id is null and r.source_app = 'svc')) limit 50`,
};
for (const [name, text] of Object.entries(variants)) {
  for (let i = 0; i < 3; i++) await sql.unsafe(text);
  const plan = await sql.unsafe(`explain (analyze) ${text}`);
  console.log(name); for (const r of plan) console.log('  ', r['QUERY PLAN']);
}
await t.drop();
