import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { assertFhirAnswer, fuzzRuns, fuzzServer, hostileJson, hostileString, mutated, urlPart } from '../support/fuzz.js';

/**
 * Search query strings and whatever else a careless or hostile client sends to the FHIR API
 * (methods, paths, headers): never a 5xx, a refusal is an OperationOutcome and writes nothing.
 */
const THIS_FILE = 'test/fuzz/fhir-requests.test.ts';
const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_BODY_LIMIT: '100000' });

const TYPES = ['Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest', 'Organization', 'Nope'];
const NAMES = [
  'name', 'family', 'given', 'birthdate', 'gender', 'identifier', 'code', 'date', 'patient', 'subject', 'value-quantity', 'value-string',
  'component-code-value-quantity', 'code-value-quantity', 'organization', 'general-practitioner', 'clinical-status', 'category', 'status',
  '_id', '_lastUpdated', '_tag', '_security', '_profile', '_source', '_text', '_content', '_list', '_query', 'nope',
  '_has:Observation:patient:code', '_has:Observation:subject:_has:Condition:subject:code', '_has:Nope:x:y', '_has',
  'subject:Patient.name', 'patient.organization.name', 'subject.organization.partof.partof.name', 'patient:Nope.name', 'patient.',
  '_sort', '_count', '_include', '_revinclude', '_total', '_summary', '_elements', '_cursor', '_type', '_format', '_pretty', '_contained', '_since',
];
const MODIFIERS = ['', '', '', ':missing', ':exact', ':contains', ':not', ':text', ':below', ':above', ':in', ':not-in', ':of-type', ':identifier', ':Patient', ':iterate', ':x', '::'];
const VALUES = [
  'x', 'Müller', 'ge2020', 'lt1980-02-30', 'gt2020-01-01T10:00:00+25:00', 'eb2020', 'ap5', 'sa2021-01', 'ne0', 'le-1e400', '5.4|http://unitsofmeasure.org|mg',
  '8480-6$gt5', '8480-6$', '|', '||', 'a|b|c', 'http://loinc.org|', '|8480-6', 'Patient/p1', 'p1,p2', ',,,', 'Patient/', 'http://x/fhir/Patient/p1/_history/1',
  '-date,name', '_id', 'Observation:*', 'Observation:patient:Patient', 'Patient:organization', '*', 'true', 'maybe', '0', '-1', '99999999999',
  '1e3', 'accurate', 'count', 'estimate', 'id,meta', 'eyJ9', 'json', 'xml', 'text/html',
];

const param = fc.tuple(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: hostileString }),
  fc.constantFrom(...MODIFIERS),
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...VALUES) }, { weight: 2, arbitrary: hostileString }, { weight: 1, arbitrary: fc.double().map(String) }),
);

/** A query string: encoded pairs, sometimes repeated, sometimes with raw (unencoded, broken) escapes. */
const queryString = fc
  .tuple(fc.array(param, { minLength: 1, maxLength: 5 }), fc.nat({ max: 2 }), fc.boolean())
  .map(([params, repeat, raw]) => {
    const pairs = params.map(([name, modifier, value]) => `${urlPart(name + modifier)}=${raw ? value.replace(/[^\x21-\x7e]/g, '') : urlPart(value)}`);
    // The same parameter again (AND), or its value list (OR).
    for (let i = 0; i < repeat && pairs[0] !== undefined; i++) pairs.push(pairs[0]);
    return pairs.join('&');
  });

const search = fc.record({
  type: fc.constantFrom(...TYPES),
  query: queryString,
  via: fc.constantFrom('GET', 'GET', 'POST', 'system'),
  strict: fc.boolean(),
});

async function seed(): Promise<void> {
  const records = [
    { resourceType: 'Organization', id: 'org1', name: 'Acme' },
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Müller', given: ['Anna'] }], gender: 'female', birthDate: '1980-02-29', managingOrganization: { reference: 'Organization/org1' } },
    { resourceType: 'Observation', id: 'o1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, subject: { reference: 'Patient/p1' }, effectiveDateTime: '2021-01-01', valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    { resourceType: 'Condition', id: 'c1', code: { text: 'x' }, subject: { reference: 'Patient/p1' } },
  ];
  for (const r of records) {
    const res = await file.fhir('PUT', `/${r.resourceType}/${r.id}`, { body: r });
    if (res.status >= 300) throw new Error(`seeding ${r.resourceType}: ${res.status} ${res.text}`);
  }
}

test('search queries: real parameters, modifiers, prefixes, chains and hostile values are answered below 500', async () => {
  await seed();
  await fuzzServer(
    file.server,
    { name: 'search queries', file: THIS_FILE, runs: fuzzRuns(200) },
    search,
    async ({ type, query, via, strict }, sendWatched) => {
      const headers: Record<string, string> = strict ? { prefer: 'handling=strict' } : {};
      const send =
        via === 'POST'
          ? () => file.fhir('POST', `/${type}/_search`, { raw: query, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
          : () => file.fhir('GET', via === 'system' ? `?_type=${type}&${query}` : `/${type}?${query}`, { headers });
      const what = `${via} ${type}?${query}`;
      assertFhirAnswer(await sendWatched(send, what), what);
    },
  );
});

const SEGMENTS = ['Patient', 'Observation', 'p1', 'o1', '_history', '_search', '$everything', 'metadata', '1', 'a.b-c', '%2F', '%', '..', 'Pätient', '_history/1', ''];
const HEADERS = ['content-type', 'accept', 'if-match', 'if-none-match', 'if-none-exist', 'if-modified-since', 'prefer', 'x-forwarded-for'];
const HEADER_VALUES = [
  'application/fhir+json', 'application/json-patch+json', 'application/xml', 'text/plain', '*/*', 'W/"1"', 'W/"x"', '"', '*', 'identifier=urn:mrn|1', 'identifier=',
  'name=x', '_id=p1&_id=p2', 'return=minimal', 'return=OperationOutcome', 'respond-async', 'handling=strict', 'garbage', 'Tue, 01 Jan 1980 00:00:00 GMT', 'application/fhir+json; fhirVersion=9',
];
/** Header values a client can send at all: visible ASCII (fetch refuses control characters). */
const headerValue = fc.oneof(fc.constantFrom(...HEADER_VALUES), hostileString.map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 4000)));

const anyRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  path: fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SEGMENTS) }, { weight: 1, arbitrary: hostileString.map(urlPart) }), { minLength: 1, maxLength: 4 }).map((s) => s.join('/')),
  query: fc.option(fc.tuple(fc.constantFrom('_count', '_since', 'identifier', '_format', '_id', '_cursor', '_at', '_summary'), headerValue), { nil: undefined }),
  headers: fc.dictionary(fc.constantFrom(...HEADERS), headerValue, { maxKeys: 4 }),
  body: fc.oneof(
    fc.constant(undefined),
    mutated({ resourceType: 'Patient', id: 'p1', identifier: [{ system: 'urn:mrn', value: '1' }], name: [{ family: 'F' }], birthDate: '1970-01-01' }).map((v) => JSON.stringify(v)),
    fc.array(fc.record({ op: fc.constantFrom('replace', 'add', 'test'), path: fc.constantFrom('/gender', '/name/0/family'), value: hostileJson })).map((v) => JSON.stringify(v)),
    fc.constant('{"resourceType":"Pat'),
  ),
});

test('any method, path, headers and body (the former hand-written fuzzer): below 500, refusals are OperationOutcomes that wrote nothing', async () => {
  await seed();
  await fuzzServer(
    file.server,
    { name: 'any request', file: THIS_FILE, runs: fuzzRuns(200) },
    anyRequest,
    async ({ method, path, query, headers, body }, sendWatched) => {
      const url = `/${path}${query === undefined ? '' : `?${query[0]}=${urlPart(query[1])}`}`;
      const sendBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
      const what = `${method} ${url} ${JSON.stringify(headers)} ${sendBody ? body.slice(0, 300) : ''}`;
      const res = await sendWatched(() => file.fhir(method, url, { ...(sendBody ? { raw: body } : {}), headers: { 'content-type': 'application/fhir+json', ...headers } }), what);
      // A HEAD answer has no body to be an OperationOutcome.
      if (method === 'HEAD') assertFhirAnswer({ ...res, json: { resourceType: 'OperationOutcome' } }, what);
      else assertFhirAnswer(res, what);
    },
  );
});
