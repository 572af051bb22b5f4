import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { assertFhirAnswer, fuzzRuns, fuzzServer, hostileJson, hostileString, mutated, urlPart } from '../support/fuzz.js';

/**
 * FHIR JSON bodies for create, update and patch on Patient, Observation and Condition: valid ones
 * with mutations (docs/fuzzing.md). Never a 5xx; a refusal is an OperationOutcome and writes nothing.
 */
const THIS_FILE = 'test/fuzz/fhir-bodies.test.ts';
const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_BODY_LIMIT: '100000' });

const VALID = {
  Patient: {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:mrn', value: '1' }],
    active: true,
    name: [{ family: 'F', given: ['G'] }],
    gender: 'female',
    birthDate: '1970-01-01',
    address: [{ line: ['1 Main St'], postalCode: '8000', country: 'CH' }],
    contained: [{ resourceType: 'Organization', id: 'o', name: 'Org' }],
    managingOrganization: { reference: '#o' },
  },
  Observation: {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }], text: 'weight' },
    subject: { reference: 'Patient/fuzz-Patient' },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    valueQuantity: { value: 70.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    component: [{ code: { text: 'c' }, valueString: 's' }],
  },
  Condition: {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
    subject: { reference: 'Patient/fuzz-Patient' },
    onsetDateTime: '2020-02-29',
    recordedDate: '2020-03-01T00:00:00.000+01:00',
    extension: [{ url: 'http://example.org/x', valueInteger: 3 }],
  },
} as const;
type FuzzType = keyof typeof VALID;
const TYPES = Object.keys(VALID) as FuzzType[];

const CONTENT_TYPES = ['application/fhir+json', 'application/json', 'application/fhir+json; charset=utf-8', 'application/fhir+json; fhirVersion=4.0', 'application/json-patch+json'];

/** The body as sent: JSON of the mutated resource, or now and then broken text. */
const bodyText = (value: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 9, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat()).map(([v, cut]) => { const t = JSON.stringify(v) ?? ''; return t.slice(0, cut % (t.length + 1)); }) },
  );

const resourceBody = (type: FuzzType) => bodyText(mutated(VALID[type]));

const patchOp = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), hostileString),
    path: fc.oneof(fc.constantFrom('/gender', '/id', '/meta/versionId', '/resourceType', '/name/0/given/-', '/name/99', '/', '', '/status', '/code/coding/0', '/__proto__/x', '/a~2b'), hostileString),
    from: fc.constantFrom('/name', '/id', '/nothing'),
    value: fc.oneof(fc.constantFrom('male', 'final', { family: 'X' }), hostileJson),
  },
  { requiredKeys: ['op'] },
);

const writeCase = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), type: fc.constantFrom(...TYPES) }).chain((c) => fc.record({ kind: fc.constant(c.kind), type: fc.constant(c.type), id: fc.constant(undefined), body: resourceBody(c.type), contentType: fc.constantFrom(...CONTENT_TYPES) })),
  fc.record({ kind: fc.constant('update' as const), type: fc.constantFrom(...TYPES) }).chain((c) =>
    fc.record({
      kind: fc.constant(c.kind),
      type: fc.constant(c.type),
      // Mostly the body's own id (an update that may land), sometimes a mismatch or a hostile id.
      id: fc.oneof({ weight: 4, arbitrary: fc.constant(`fuzz-${c.type}`) }, { weight: 1, arbitrary: hostileString }),
      body: mutated({ ...VALID[c.type], id: `fuzz-${c.type}` }).chain((v) => bodyText(fc.constant(v))),
      contentType: fc.constantFrom(...CONTENT_TYPES),
    }),
  ),
  fc.record({
    kind: fc.constant('patch' as const),
    type: fc.constantFrom(...TYPES),
    id: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: hostileString }),
    body: bodyText(fc.oneof({ weight: 4, arbitrary: fc.array(patchOp, { maxLength: 4 }) }, { weight: 1, arbitrary: hostileJson })),
    contentType: fc.constantFrom('application/json-patch+json', 'application/json-patch+json', 'application/fhir+json'),
  }),
);

/** The records updates and patches aim at (and that Observation and Condition refer to). */
async function seed(): Promise<void> {
  for (const type of TYPES) {
    const res = await file.fhir('PUT', `/${type}/fuzz-${type}`, { body: { ...VALID[type], id: `fuzz-${type}` } });
    if (res.status >= 300) throw new Error(`seeding ${type}: ${res.status} ${res.text}`);
  }
}

test('create, update and patch with mutated bodies: below 500, refusals are OperationOutcomes that wrote nothing', async () => {
  await seed();
  await fuzzServer(
    file.server,
    { name: 'fhir bodies', file: THIS_FILE, runs: fuzzRuns(150) },
    writeCase,
    async (c, sendWatched) => {
      const id = c.kind === 'create' ? '' : `/${urlPart(c.id === '' ? `fuzz-${c.type}` : c.id)}`;
      const method = { create: 'POST', update: 'PUT', patch: 'PATCH' }[c.kind];
      const what = `${method} /${c.type}${id} (${c.contentType}) ${c.body.slice(0, 300)}`;
      const res = await sendWatched(() => file.fhir(method, `/${c.type}${id}`, { raw: c.body, headers: { 'content-type': c.contentType } }), what);
      assertFhirAnswer(res, what);
    },
  );
});
