import { SEARCH_LIMIT_DEFAULTS } from '../search/query/search-limits.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { pageSize } from '../rest/page-size.js';
import { encodeCursor } from '../search/sql/search-cursor.js';
import { parseAuditSearch, type AuditSearchOptions } from './audit-event-search.js';

const BASE = 'https://fhir.example/fhir';
const OPTIONS: AuditSearchOptions = { fhirBase: BASE, count: (v) => pageSize({ defaultCount: 20, maxCount: 100 }, v), strict: true, limits: SEARCH_LIMIT_DEFAULTS };
const parse = (query: string, options: Partial<AuditSearchOptions> = {}) => parseAuditSearch(new URLSearchParams(query), { ...OPTIONS, ...options });

test('each parameter becomes its clause; references to this server and to Patients are read as ids', () => {
  const s = parse(`patient=Patient/p1,${BASE}/Patient/p2,p3&agent=app-1,acc-2&entity=${BASE}/Observation/o1&date=ge2026-01&date=lt2026-02-01&_count=500`);
  assert.deepEqual(s.clauses.map((c) => c.kind), ['patient', 'agent', 'entity', 'date', 'date']);
  assert.deepEqual(s.clauses[0], { kind: 'patient', ids: ['p1', 'p2', 'p3'] });
  assert.deepEqual(s.clauses[2], { kind: 'entity', refs: ['Observation/o1'] });
  assert.equal(s.count, 100, '_count is capped');
  assert.equal(s.canonical.get('_count'), '100');
  const [ge] = s.clauses[3]?.kind === 'date' ? s.clauses[3].values : [];
  assert.deepEqual([ge?.prefix, ge?.lo, ge?.hi], ['ge', Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1) - 1], 'a month is all of the month');
});

test("tokens match a code only under its own system; action and outcome take R4's codes", () => {
  assert.deepEqual(parse('type=http://terminology.hl7.org/CodeSystem/audit-event-type|rest').clauses, [{ kind: 'code', column: 'type', codes: ['rest'] }]);
  assert.deepEqual(parse('type=http://dicom.nema.org/resources/ontology/DCM|rest').clauses, [{ kind: 'code', column: 'type', codes: [] }], 'rest is not a DICOM code: nothing matches');
  assert.deepEqual(parse('type=|odd,110114').clauses, [{ kind: 'code', column: 'type', codes: ['odd', '110114'] }]);
  assert.deepEqual(parse('subtype=http://hl7.org/fhir/restful-interaction|read,login').clauses, [{ kind: 'code', column: 'subtype', codes: ['read', 'login'] }]);
  assert.deepEqual(parse('action=R,http://hl7.org/fhir/audit-event-action|E').clauses, [{ kind: 'code', column: 'action', codes: ['R', 'E'] }]);
  assert.deepEqual(parse('outcome=4,12').clauses, [{ kind: 'outcome', codes: [4, 12] }]);
});

test('a paging cursor is one this server issued; the canonical query leaves it out', () => {
  const s = parse(`patient=p1&_cursor=${encodeCursor({ kind: 'after', rid: '77' })}`);
  assert.equal(s.before, '77');
  assert.equal(s.canonical.toString(), 'patient=p1');
});

test('bad input is a 400 naming the parameter; unknown parameters too, unless handling is lenient', () => {
  const bad = [
    'foo=1',
    'patient:missing=true',
    'patient=Observation/o1',
    'patient=',
    'entity=o1',
    'date=yesterday',
    'action=X',
    'outcome=3',
    'type=http://x|',
    '_sort=date',
    `_cursor=${encodeCursor({ kind: 'offset', offset: 20 })}`,
    '_cursor=garbage',
    '_count=-1',
    `agent=${Array.from({ length: 101 }, (_, i) => `a${i}`).join(',')}`,
  ];
  for (const query of bad) {
    assert.throws(
      () => parse(query),
      (e: unknown) => isFhirkeepError(e) && e.status === 400,
      query,
    );
  }
  const lenient = parse('foo=1&patient=p1', { strict: false });
  assert.deepEqual(lenient.clauses, [{ kind: 'patient', ids: ['p1'] }]);
  assert.equal(lenient.canonical.toString(), 'patient=p1', 'what was left out is not in the links either');
});
