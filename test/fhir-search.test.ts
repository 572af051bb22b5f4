import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import type { FhirResource } from '../src/storage/types.js';
import { datasetTransaction, SEARCH_DATASET } from './fixtures/search-dataset.js';
import { startTestServer, type TestServer } from './support/fhirkeep-server.js';
import { httpClient, type HttpClient } from './support/http.js';

let server: TestServer;
let fhir: HttpClient;
// One server per file, loaded with the data set once (root hooks may run in any order, so one hook does both).
const file = {
  get server(): TestServer {
    return server;
  },
  get fhir(): HttpClient {
    return fhir;
  },
};

before(async () => {
  server = await startTestServer({ FHIRKEEP_DEV_NO_AUTH: '1' });
  fhir = httpClient(server.fhirBase);
  const res = await fhir('POST', '', { body: datasetTransaction() });
  assert.equal(res.status, 200, res.text);
});
after(() => server.close());

interface Entry {
  fullUrl: string;
  resource: FhirResource & { id: string };
  search: { mode: string };
}

/** Every match of a search, following `next` links. */
async function searchAll(path: string): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let url: string | undefined = path;
  let pages = 0;
  while (url !== undefined) {
    const res = await file.fhir('GET', url);
    assert.equal(res.status, 200, `${url}: ${res.text}`);
    assert.equal(res.json.type, 'searchset');
    ids.push(...(res.json.entry ?? []).filter((e: Entry) => e.search.mode === 'match').map((e: Entry) => `${e.resource.resourceType}/${e.resource.id}`));
    const next = res.json.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    url = next?.slice(file.server.fhirBase.length);
    if (++pages > 50) throw new Error('too many pages');
  }
  return { ids, pages };
}

/** The oracle: resources of `type` for which a FHIRPath expression (or a function) is true, computed without the server. */
function expected(type: string, predicate: string | ((r: Record<string, unknown>) => boolean)): string[] {
  return SEARCH_DATASET.filter((r) => r.resourceType === type)
    .filter((r) => (typeof predicate === 'string' ? (fhirpath.evaluate(r, predicate, {}, r4) as unknown[])[0] === true : predicate(r)))
    .map((r) => `${type}/${r.id}`)
    .sort();
}

async function check(path: string, type: string, predicate: string | ((r: Record<string, unknown>) => boolean)): Promise<void> {
  const want = expected(type, predicate);
  const got = (await searchAll(path)).ids.sort();
  assert.deepEqual(got, want, path);
}

const instant = (s: unknown): number => Date.parse(String(s));

// parameter types, prefixes and modifiers
test('token: code, system|code, system|, |code, :not, :text, OR', async () => {
  await check('/Observation?code=8302-2', 'Observation', "code.coding.where(code='8302-2').exists()");
  await check('/Observation?code=http://loinc.org|29463-7', 'Observation', "code.coding.where(system='http://loinc.org' and code='29463-7').exists()");
  await check('/Observation?code=http://loinc.org|', 'Observation', "code.coding.where(system='http://loinc.org').exists()");
  await check('/Observation?code=|local-1', 'Observation', "code.coding.where(system.empty() and code='local-1').exists()");
  await check('/Observation?code=urn:other|8302-2', 'Observation', 'false');
  await check('/Observation?code:not=8302-2', 'Observation', "code.coding.where(code='8302-2').empty()");
  // Displays are "Code <code>"; 8480-6 is only a component's code, never a display.
  await check('/Observation?code:text=code%202339', 'Observation', "code.coding.where(code='2339-0').exists()");
  await check('/Observation?code:text=code%208480', 'Observation', 'false');
  await check(
    '/Observation?code:text=body',
    'Observation',
    "code.text.lower().startsWith('body') or code.coding.display.where(lower().startsWith('body')).exists()",
  );
  await check('/Observation?code=8302-2,2339-0', 'Observation', "code.coding.where(code='8302-2' or code='2339-0').exists()");
  await check('/Patient?gender=female', 'Patient', "gender='female'");
  await check('/Patient?identifier=A1', 'Patient', "identifier.where(value='A1').exists()");
  await check('/Patient?identifier=urn:mrn|A1', 'Patient', "identifier.where(system='urn:mrn' and value='A1').exists()");
  await check('/Patient?_tag=urn:tags|vip', 'Patient', "meta.tag.where(code='vip').exists()");
  await check(
    '/Observation?value-concept=http://snomed.info/sct|266919005',
    'Observation',
    "value.ofType(CodeableConcept).coding.where(code='266919005').exists()",
  );
});

test('string: folded prefix by default, :exact, :contains; metacharacters are data', async () => {
  await check(
    '/Patient?name=mül',
    'Patient',
    (r) => JSON.stringify(r.name).toLowerCase().includes('"family":"mu') || JSON.stringify(r.name).toLowerCase().includes('"family":"mü'),
  );
  await check('/Patient?name=MULLER', 'Patient', "name.family.exists($this='Müller' or $this='Muller')");
  await check('/Patient?name:exact=Müller', 'Patient', "name.family='Müller'");
  await check('/Patient?name:exact=müller', 'Patient', 'false');
  await check('/Patient?name:contains=ulle', 'Patient', "name.family.exists($this='Müller' or $this='Muller')");
  await check('/Patient?name=zoe', 'Patient', "name.given='Zoë'");
  await check('/Patient?name=o%27brien', 'Patient', (r) => JSON.stringify(r.name).includes("O'Brien"));
  await check('/Patient?name=100%25', 'Patient', "id='p4'");
  await check('/Patient?name=%25', 'Patient', 'false');
  await check('/Patient?name:contains=_', 'Patient', "id='p4'");
  await check("/Patient?name=x'%20OR%201=1%20--", 'Patient', 'false');
  await check('/Patient?address-city=zur', 'Patient', "address.city='Zürich'");
});

test('date: every prefix against partial dates, periods and zones', async () => {
  const birth = (r: Record<string, unknown>): [number, number] => {
    const s = String(r.birthDate);
    const lo = instant(s.length === 4 ? `${s}-01-01` : s.length === 7 ? `${s}-01` : s);
    const end =
      s.length === 4
        ? `${Number(s) + 1}-01-01`
        : s.length === 7
          ? new Date(Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)), 1)).toISOString()
          : new Date(lo + 86_400_000).toISOString();
    return [lo, instant(end) - 1];
  };
  const y1980 = [instant('1980-01-01'), instant('1981-01-01') - 1] as const;
  await check('/Patient?birthdate=1980', 'Patient', (r) => birth(r)[0] >= y1980[0] && birth(r)[1] <= y1980[1]);
  await check('/Patient?birthdate=eq1991', 'Patient', "birthDate.toString().startsWith('1991')");
  await check('/Patient?birthdate=ne1991', 'Patient', "birthDate.toString().startsWith('1991').not()");
  await check('/Patient?birthdate=gt1980', 'Patient', (r) => birth(r)[1] > y1980[1]);
  await check('/Patient?birthdate=lt1980', 'Patient', (r) => birth(r)[0] < y1980[0]);
  await check('/Patient?birthdate=ge1980-02-14', 'Patient', (r) => birth(r)[1] >= instant('1980-02-14'));
  await check('/Patient?birthdate=le1975-07-15', 'Patient', (r) => birth(r)[0] <= instant('1975-07-16') - 1);
  await check('/Patient?birthdate=sa1990', 'Patient', (r) => birth(r)[0] > y1980[1] && birth(r)[0] > instant('1991-01-01') - 1);
  await check('/Patient?birthdate=eb1980', 'Patient', (r) => birth(r)[1] < y1980[0]);
  // A period overlapping the day; a time in another zone that is already the next day in UTC.
  await check('/Observation?date=2020-03', 'Observation', (r) => ['o1', 'o3'].includes(String(r.id)));
  await check('/Observation?date=2020-01-01', 'Observation', (r) => r.id === 'o4');
  await check('/Observation?date=ge2022&date=lt2023', 'Observation', (r) => ['o5', 'o6'].includes(String(r.id)));
  await check('/Observation?date=ap2023-06-20', 'Observation', (r) => ['o8', 'o9'].includes(String(r.id)));
  await check('/Observation?date=2020-03-04T10:00:00Z', 'Observation', (r) => r.id === 'o1');
  // The far ends of the calendar stay instants PostgreSQL can compare.
  await check('/Observation?date=ap9999-12-31', 'Observation', 'false');
  await check('/Observation?date=ap0001', 'Observation', 'false');
});

test('number and quantity: precision, prefixes, UCUM canonical units', async () => {
  await check('/RiskAssessment?probability=gt0.5', 'RiskAssessment', 'prediction.probability.ofType(decimal) > 0.5');
  await check('/RiskAssessment?probability=0.25', 'RiskAssessment', "id='ra1'");
  await check('/RiskAssessment?probability=0.3', 'RiskAssessment', "id='ra1'");
  await check('/RiskAssessment?probability=0.30', 'RiskAssessment', 'false');
  // 176 cm and 1.77 m are both about 1.77 m; 150 [lb_av] is 68 kg.
  await check('/Observation?value-quantity=1.76|http://unitsofmeasure.org|m', 'Observation', "id='o1'");
  await check('/Observation?value-quantity=ge1.7|http://unitsofmeasure.org|m', 'Observation', "id='o1' or id='o2'");
  await check('/Observation?value-quantity=lt70|http://unitsofmeasure.org|kg', 'Observation', "id='o4'");
  await check('/Observation?value-quantity=gt100', 'Observation', 'value.ofType(Quantity).value > 100');
  await check('/Observation?value-quantity=80||kg', 'Observation', "id='o3'");
  await check('/Observation?value-quantity=ap100', 'Observation', 'value.ofType(Quantity).where(value >= 90 and value <= 110).exists()');
});

test('reference: Type/id, bare id, :Type, absolute own URL, :identifier, OR', async () => {
  await check('/Observation?subject=Patient/p1', 'Observation', "subject.reference='Patient/p1'");
  await check('/Observation?patient=p1', 'Observation', "subject.reference='Patient/p1'");
  await check('/Observation?subject:Patient=p2', 'Observation', "subject.reference='Patient/p2'");
  await check('/Observation?subject=Group/g1', 'Observation', "id='o10'");
  await check(`/Observation?subject=${encodeURIComponent(`${file.server.fhirBase}/Patient/p3`)}`, 'Observation', "subject.reference='Patient/p3'");
  await check('/Observation?patient=p1,p4', 'Observation', "subject.reference='Patient/p1' or subject.reference='Patient/p4'");
  await check('/Patient?general-practitioner:identifier=urn:npi|123', 'Patient', "id='p1'");
});

test('uri with :below and :above, composite, :missing, _id, _lastUpdated, _profile, _source', async () => {
  await check('/Questionnaire?url=http://example.org/Questionnaire/phq9', 'Questionnaire', "id='q1'");
  await check('/Questionnaire?url:below=http://example.org/Questionnaire', 'Questionnaire', 'true');
  await check('/Questionnaire?url:above=http://example.org/Questionnaire/gad7/v2/extra', 'Questionnaire', "id='q2'");
  await check('/Observation?component-code-value-quantity=http://loinc.org|8480-6$gt130', 'Observation', "id='o8'");
  await check('/Observation?component-code-value-quantity=8462-4$lt80', 'Observation', "id='o9'");
  await check('/Observation?code-value-quantity=http://loinc.org|8302-2$gt100', 'Observation', "id='o1'");
  await check('/Observation?combo-code=8480-6', 'Observation', "component.code.coding.where(code='8480-6').exists()");
  await check('/Observation?combo-code=8302-2,8462-4', 'Observation', "code.coding.where(code='8302-2').exists() or component.code.coding.where(code='8462-4').exists()");
  await check('/Observation?combo-code-value-quantity=8480-6$gt130', 'Observation', "id='o8'");
  await check('/Observation?combo-code-value-quantity=8302-2$gt100', 'Observation', "id='o1'");
  await check('/Observation?combo-value-quantity=gt130', 'Observation', "id='o1' or id='o4' or id='o8'");
  await check('/Observation?value-quantity:missing=true', 'Observation', 'value.ofType(Quantity).empty()');
  await check('/Observation?value-quantity:missing=false', 'Observation', 'value.ofType(Quantity).exists()');
  await check('/Patient?_id=p1,p3', 'Patient', "id='p1' or id='p3'");
  await check('/Patient?_lastUpdated=gt2000-01-01', 'Patient', 'true');
  await check('/Patient?_lastUpdated=lt2000-01-01', 'Patient', 'false');
  await check('/Patient?_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient', 'Patient', "id='p3'");
  await check('/Patient?_source=urn:app:importer', 'Patient', "id='p3'");
  await check('/Patient?_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R', 'Patient', 'meta.security.exists()');
  await check('/Patient?_security:not=R', 'Patient', 'meta.security.empty()');
});

// chains, _has, includes
test('chained parameters, typed and several levels deep', async () => {
  await check('/Observation?subject:Patient.name=muller', 'Observation', "subject.reference='Patient/p1' or subject.reference='Patient/p2'");
  await check('/Observation?patient.birthdate=lt1980', 'Observation', "subject.reference='Patient/p3'");
  await check('/Observation?subject:Patient.organization.name=acme', 'Observation', "subject.reference='Patient/p1'");
  await check('/Observation?subject:Patient.organization.partof.name=acme', 'Observation', "subject.reference='Patient/p2'");
  await check('/Observation?subject:Patient.identifier=urn:mrn|A1&code=8302-2', 'Observation', "subject.reference='Patient/p1' and code.coding.code='8302-2'");
});

test('_has, nested, combined with other parameters', async () => {
  await check('/Patient?_has:Observation:patient:code=2339-0', 'Patient', "id='p2' or id='p3'");
  await check('/Patient?_has:Observation:patient:code=2339-0&gender=female&birthdate=ge1990', 'Patient', "id='p2'");
  await check('/Organization?_has:Patient:organization:_has:Observation:patient:code=8302-2', 'Organization', "id='acme'");
  await check('/Patient?_has:Condition:patient:clinical-status=active', 'Patient', "id='p1'");
});

test('_include, _revinclude, :iterate and * mark their entries include', async () => {
  const res = await file.fhir('GET', '/MedicationRequest?_id=mr1&_include=MedicationRequest:medication&_include=MedicationRequest:patient');
  const byMode = (mode: string) =>
    res.json.entry
      .filter((e: Entry) => e.search.mode === mode)
      .map((e: Entry) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();
  assert.deepEqual(byMode('match'), ['MedicationRequest/mr1']);
  assert.deepEqual(byMode('include'), ['Medication/m1', 'Patient/p1']);

  const rev = await file.fhir('GET', '/Observation?_id=o1&_revinclude=Provenance:target');
  assert.deepEqual(
    rev.json.entry.map((e: Entry) => `${e.resource.resourceType}/${e.resource.id}/${e.search.mode}`),
    ['Observation/o1/match', 'Provenance/prov1/include'],
  );

  const iter = await file.fhir('GET', '/Observation?_id=o1&_include=Observation:patient&_include:iterate=Patient:organization');
  const got = iter.json.entry.map((e: Entry) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  assert.deepEqual(got, ['Observation/o1', 'Organization/acme', 'Patient/p1']);

  const star = await file.fhir('GET', '/Encounter?_id=e1&_include=Encounter:*');
  assert.deepEqual(star.json.entry.map((e: Entry) => `${e.resource.resourceType}/${e.resource.id}`).sort(), ['Encounter/e1', 'Patient/p1', 'Practitioner/dr1']);
});

// results: sort, paging, total, summary, elements
test('_sort by several keys, descending, missing values last', async () => {
  const res = await searchAll('/Observation?_sort=-date,_id&_count=100');
  const dated = SEARCH_DATASET.filter((r) => r.resourceType === 'Observation');
  const end = (r: Record<string, unknown>): number => {
    const p = r.effectivePeriod as { end?: string } | undefined;
    const s = (r.effectiveDateTime as string | undefined) ?? p?.end;
    if (s === undefined) return -Infinity;
    return s.length === 4 ? instant(`${Number(s) + 1}-01-01`) : s.length === 7 ? instant(`${s}-01`) + 28 * 86_400_000 : instant(s);
  };
  const want = [...dated].sort((a, b) => end(b) - end(a) || String(a.id).localeCompare(String(b.id))).map((r) => `Observation/${r.id}`);
  assert.deepEqual(res.ids, want);
  const byName = await searchAll('/Patient?_sort=name,-birthdate');
  assert.deepEqual(byName.ids, ['Patient/p4', 'Patient/p2', 'Patient/p1', 'Patient/p3']);
});

test('keyset paging: next pages cover every match once, previous goes back', async () => {
  const all = (await searchAll('/Observation')).ids;
  const paged = await searchAll('/Observation?_count=3');
  assert.equal(paged.pages, Math.ceil(all.length / 3));
  assert.deepEqual(paged.ids, all);
  const first = await file.fhir('GET', '/Observation?_count=3');
  const second = await file.fhir(
    'GET',
    (first.json.link.find((l: { relation: string }) => l.relation === 'next').url as string).slice(file.server.fhirBase.length),
  );
  const prev = second.json.link.find((l: { relation: string }) => l.relation === 'previous');
  assert.ok(prev !== undefined);
  const back = await file.fhir('GET', (prev.url as string).slice(file.server.fhirBase.length));
  assert.deepEqual(
    back.json.entry.map((e: Entry) => e.resource.id),
    first.json.entry.map((e: Entry) => e.resource.id),
  );
  // A patient's search is driven by the patient's index rows: its pages walk the same way.
  const mine = (await searchAll('/Observation?patient=p1&_count=1')).ids;
  assert.deepEqual(mine.sort(), expected('Observation', "subject.reference='Patient/p1'"));
  const p1 = await file.fhir('GET', '/Observation?patient=p1&_count=1');
  const p2 = await file.fhir('GET', (p1.json.link.find((l: { relation: string }) => l.relation === 'next').url as string).slice(file.server.fhirBase.length));
  const p2prev = p2.json.link.find((l: { relation: string }) => l.relation === 'previous').url as string;
  assert.deepEqual((await file.fhir('GET', p2prev.slice(file.server.fhirBase.length))).json.entry.map((e: Entry) => e.resource.id), p1.json.entry.map((e: Entry) => e.resource.id));
  const sorted = await searchAll('/Observation?_sort=_id&_count=4');
  assert.deepEqual(sorted.ids, [...all].sort());
});

test('_total, _summary=count, _count=0', async () => {
  const n = expected('Observation', 'true').length;
  assert.equal((await file.fhir('GET', '/Observation?_count=2&_total=accurate')).json.total, n);
  assert.equal((await file.fhir('GET', '/Observation?_count=2&_total=none')).json.total, undefined);
  assert.equal(typeof (await file.fhir('GET', '/Observation?_count=2&_total=estimate')).json.total, 'number');
  const count = await file.fhir('GET', '/Observation?_summary=count');
  assert.equal(count.json.total, n);
  assert.equal(count.json.entry?.length ?? 0, 0);
  assert.equal((await file.fhir('GET', '/Observation?code=8302-2&_count=0')).json.total, 2);
});

test('_summary=true|text|data and _elements mark the resource SUBSETTED', async () => {
  const summary = (await file.fhir('GET', '/Patient?_id=p1&_summary=true')).json.entry[0].resource;
  // R4 marks Patient.name a summary element and Patient.generalPractitioner not.
  assert.ok(summary.name !== undefined && summary.generalPractitioner === undefined, JSON.stringify(summary));
  const text = (await file.fhir('GET', '/Observation?_id=o1&_summary=text')).json.entry[0].resource;
  assert.deepEqual(Object.keys(text).sort(), ['code', 'id', 'meta', 'resourceType', 'status']);
  const data = (await file.fhir('GET', '/Observation?_id=o1&_summary=data')).json.entry[0].resource;
  assert.equal(data.valueQuantity.value, 176);
  assert.ok(summary.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED'));
  const elements = (await file.fhir('GET', '/Observation?_id=o1&_elements=subject')).json.entry[0].resource;
  assert.deepEqual(Object.keys(elements).sort(), ['code', 'id', 'meta', 'resourceType', 'status', 'subject']);
  const value = (await file.fhir('GET', '/Observation?_id=o1&_elements=value')).json.entry[0].resource;
  assert.equal(value.valueQuantity.value, 176);
});

test('POST _search with a form body, system search with _type', async () => {
  const res = await file.fhir('POST', '/Observation/_search?code=8302-2', {
    raw: 'patient=p1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.entry.map((e: Entry) => e.resource.id).sort(), ['o1', 'o2']);
  const system = await searchAll('/?_type=Patient,Organization&_tag=urn:tags|vip');
  assert.deepEqual(system.ids, ['Patient/p1']);
  const everywhere = await searchAll('/?_id=p1,c1,nope');
  assert.deepEqual(everywhere.ids.sort(), ['Condition/c1', 'Patient/p1'], 'without _type: every type');
  const types = await searchAll('/?_type=Condition,Encounter');
  assert.deepEqual(types.ids.sort(), ['Condition/c1', 'Condition/c2', 'Encounter/e1']);
});

test('lenient handling ignores unknown parameters and leaves them out of self; strict refuses them', async () => {
  const res = await file.fhir('GET', '/Patient?foo=bar&gender=male');
  assert.equal(res.status, 200);
  assert.deepEqual(
    res.json.entry.map((e: Entry) => e.resource.id),
    ['p1'],
  );
  const self = res.json.link.find((l: { relation: string }) => l.relation === 'self').url as string;
  assert.ok(!self.includes('foo'), self);
  const strict = await file.fhir('GET', '/Patient?foo=bar', { headers: { prefer: 'handling=strict' } });
  assert.equal(strict.status, 400);
  assert.equal(strict.json.resourceType, 'OperationOutcome');
  assert.match(strict.json.issue[0].diagnostics, /foo/);
});

// operations
test('Patient/$everything: the patient, its compartment and what it references, paged, with _type and _since', async () => {
  const inCompartment = (r: Record<string, unknown>): boolean => JSON.stringify(r).includes('"reference":"Patient/p1"') && r.resourceType !== 'Patient';
  const want = SEARCH_DATASET.filter(inCompartment).map((r) => `${r.resourceType}/${r.id}`);
  const all = await file.fhir('GET', '/Patient/p1/$everything?_count=1000');
  assert.equal(all.status, 200, all.text);
  const byMode = (res: { json: { entry: Entry[] } }, mode: string) => res.json.entry.filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
  assert.deepEqual(byMode(all, 'match').sort(), ['Patient/p1', ...want].sort());
  assert.ok(byMode(all, 'include').includes('Medication/m1'), 'referenced medication');
  assert.ok(byMode(all, 'include').includes('Organization/acme'), 'referenced organization');
  assert.ok(!byMode(all, 'match').some((id) => id.includes('p2')), 'nothing of another patient');
  const paged = await searchAll('/Patient/p1/$everything?_count=3');
  assert.deepEqual(paged.ids.sort(), ['Patient/p1', ...want].sort());
  const typed = await searchAll('/Patient/p1/$everything?_type=Condition,Encounter');
  assert.deepEqual(typed.ids.sort(), ['Condition/c1', 'Encounter/e1']);
  const since = await searchAll(`/Patient/p1/$everything?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
  assert.deepEqual(since.ids, []);
  assert.equal((await file.fhir('GET', '/Patient/nobody/$everything')).status, 404);
  assert.equal((await file.fhir('GET', '/Patient/p1/$everything?_since=yesterday')).status, 400);
  assert.equal((await file.fhir('GET', '/Patient/p1/$everything?_type=Nope')).status, 400);
  assert.equal((await file.fhir('GET', '/Patient/p1/$everything?start=2020')).status, 400);
});

test('DocumentReference/$docref: current documents newest first, or those whose period overlaps start–end', async () => {
  const current = await file.fhir('GET', '/DocumentReference/$docref?patient=p1');
  assert.equal(current.status, 200, current.text);
  assert.deepEqual(current.json.entry.map((e: Entry) => e.resource.id), ['d2', 'd1']);
  const ranged = await file.fhir('GET', '/DocumentReference/$docref?patient=p1&start=2020-12-15&end=2021-01-15');
  assert.deepEqual(ranged.json.entry.map((e: Entry) => e.resource.id), ['d1']);
  const typed = await file.fhir('GET', `/DocumentReference/$docref?patient=p1&type=${encodeURIComponent('http://loinc.org|18842-5')}`);
  assert.deepEqual(typed.json.entry.map((e: Entry) => e.resource.id), ['d2']);
  const posted = await file.fhir('POST', '/DocumentReference/$docref', {
    body: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueId: 'p1' }, { name: 'start', valueDate: '2022-05-10' }] },
  });
  assert.deepEqual(posted.json.entry.map((e: Entry) => e.resource.id), ['d2']);
  const paged = await searchAll('/DocumentReference/$docref?patient=p1&_count=1');
  assert.deepEqual(paged, { ids: ['DocumentReference/d2', 'DocumentReference/d1'], pages: 2 }, 'its next links page on');
  assert.equal((await file.fhir('GET', '/DocumentReference/$docref')).status, 400, 'patient is required');
  assert.equal((await file.fhir('GET', '/DocumentReference/$docref?patient=p1&start=soon')).status, 400);
});

test('the CapabilityStatement lists the parameters, includes, US Core profiles and operations it answers', async () => {
  const cs = (await file.fhir('GET', '/metadata')).json;
  const patient = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
  const names = patient.searchParam.map((p: { name: string }) => p.name);
  for (const n of ['name', 'birthdate', 'gender', 'identifier', 'race', 'ethnicity']) assert.ok(names.includes(n), n);
  assert.ok(patient.supportedProfile.includes('http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'));
  assert.deepEqual(patient.operation, [
    { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
    { name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' },
  ]);
  const group = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Group');
  assert.deepEqual(group.operation, [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' }]);
  assert.deepEqual(cs.rest[0].operation, [{ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }]);
  const mr = cs.rest[0].resource.find((r: { type: string }) => r.type === 'MedicationRequest');
  assert.ok(mr.searchInclude.includes('MedicationRequest:medication'));
  const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
  assert.ok(obs.searchRevInclude.includes('Provenance:target'));
  assert.ok(cs.rest[0].interaction.some((i: { code: string }) => i.code === 'search-system'));
  assert.ok(!names.includes('_text') && !names.includes('_content'), 'unsupported parameters are not advertised');
});

// bad input: 400 with an OperationOutcome, never 5xx
const cases: [string, RegExp, Record<string, string>?][] = [
  ['/Patient?birthdate=1980-13-01', /not a FHIR date/],
  ['/Patient?birthdate=xx1980', /Unknown prefix/],
  ['/Patient?birthdate=2020-02-30', /not a FHIR date/],
  ['/Patient?birthdate=0000', /not a FHIR date/],
  ['/RiskAssessment?probability=1x', /not a number/],
  ['/Observation?value-quantity=gt', /not a number/],
  ['/Patient?_count=abc', /_count/],
  ['/Patient?_count=-1', /_count/],
  ['/Patient?unknown=1', /unknown/i, { prefer: 'handling=strict' }],
  ['/Observation?subject:Patient.organization.partof.partof.name=x', /at most 3 levels/],
  ['/Observation?_include=Observation:nonsense', /no reference parameter/],
  ['/Observation?_include=Nope:subject', /expected/],
  ['/Observation?_sort=component-code-value-quantity', /cannot be sorted/],
  ['/Observation?_sort=nonsense', /Unknown search parameter/],
  [`/Patient?_id=${Array.from({ length: 101 }, (_, i) => `x${i}`).join(',')}`, /more than 100 values/],
  ['/Patient?gender:exact=male', /modifier/],
  ['/Patient?name:missing=maybe', /true or false/],
  ['/Patient?_cursor=garbage', /_cursor/],
  [`/Patient?_cursor=${Buffer.from(JSON.stringify({ kind: 'after', rid: '9999999999999999999' })).toString('base64url')}`, /_cursor/],
  ['/Patient?_total=all', /_total/],
  ['/Patient?_summary=yes', /_summary/],
  ['/Patient?_elements=na%20me', /_elements/],
  ['/Observation?component-code-value-quantity=8480-6', /two parts/],
  ['/Patient?_has:Observation:patient=x', /_has/],
  ['/?_type=Nope', /unknown resource type/],
  ['/Patient?identifier=a|b|c', /at most one/],
  ['/Patient?gender=', /no value/],
];
for (const [path, message, headers] of cases) {
  test(path.length > 80 ? `${path.slice(0, 80)}…` : path, async () => {
    const res = await file.fhir('GET', path, headers === undefined ? {} : { headers });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.resourceType, 'OperationOutcome');
    assert.match(res.json.issue[0].diagnostics, message);
  });
}

test('random search requests are answered 200 or 4xx, never 5xx', async () => {
  // Seeded, so a failure names a request that can be replayed.
  let seed = Number(process.env.FHIRKEEP_FUZZ_SEED ?? 7);
  const r = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const types = ['Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest'];
  const names = ['name', 'family', 'birthdate', 'gender', 'identifier', 'code', 'date', 'patient', 'subject', 'value-quantity', 'component-code-value-quantity', '_id', '_lastUpdated', '_tag', '_profile', 'category', 'status', 'nope', '_has:Observation:patient:code', 'subject:Patient.name', 'patient.organization.name', '_sort', '_count', '_include', '_revinclude', '_total', '_summary', '_elements', '_cursor', '_type'];
  const modifiers = ['', '', '', ':missing', ':exact', ':contains', ':not', ':text', ':below', ':above', ':identifier', ':Patient', ':iterate', ':x'];
  const values = ['', 'x', 'ge2020', 'lt1980-02-30', '2020-01-01T10:00:00+25:00', 'eb', 'ap5', '5.4|http://unitsofmeasure.org|mg', '8480-6$gt5', '|', '||', 'a|b|c', 'Patient/p1', 'p1,p2', "'; drop table resources; --", '%', '_', '\\', '\\,', 'é', 'x'.repeat(3000), '-date,name', 'Observation:*', '*', 'true', 'maybe', '0', '-1', '99999999999', 'accurate', 'count', 'id,meta', 'eyJ9'];
  const failures: string[] = [];
  for (let i = 0; i < 300; i++) {
    const params = new URLSearchParams();
    const n = 1 + Math.floor(r() * 3);
    for (let k = 0; k < n; k++) params.append(pick(names) + pick(modifiers), pick(values));
    const path = `/${pick(types)}?${params.toString()}`;
    const res = await file.fhir('GET', path, r() < 0.3 ? { headers: { prefer: 'handling=strict' } } : {});
    if (res.status >= 500 || (res.status >= 400 && res.json?.resourceType !== 'OperationOutcome')) failures.push(`${res.status} ${path}`);
  }
  assert.deepEqual(failures, []);
});

test('POST _search needs a form body', async () => {
  const res = await file.fhir('POST', '/Patient/_search', { body: { resourceType: 'Patient' } });
  assert.equal(res.status, 415);
});
