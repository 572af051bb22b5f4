import assert from 'node:assert/strict';
import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { assertFhirAnswer, fuzzRuns, fuzzServer, hostileString, mutated } from '../support/fuzz.js';

/**
 * Transaction and batch Bundles mixing valid and mutated entries: duplicate fullUrls, references
 * to fullUrls that are not there, conditional headers. Never a 5xx; a refused Bundle (≥ 400) wrote
 * nothing (every table compared), and a transaction answered 200 has no failed entry.
 */
const THIS_FILE = 'test/fuzz/fhir-bundles.test.ts';
const file = serverForThisFile({ FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_BODY_LIMIT: '200000' });

const FULL_URLS = ['urn:uuid:a', 'urn:uuid:b', 'urn:uuid:c', 'urn:uuid:', 'Patient/b1', 'http://elsewhere/fhir/Patient/x', 'urn:oid:1.2.3'];
const patient = (mrn: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }], gender: 'female' });
const observation = (subject: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'w' }, subject: { reference: subject }, valueQuantity: { value: 70, unit: 'kg' } });

const entry = fc
  .record({
    fullUrl: fc.option(fc.constantFrom(...FULL_URLS), { nil: undefined }),
    method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'HEAD', 'TRACE'),
    url: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('Patient', 'Observation', 'Patient/b1', 'Observation/o1', 'Patient?identifier=urn:mrn|b1', 'Patient/b1/_history/1', 'Nope', '', '/Patient', 'Patient/$everything') }, { weight: 1, arbitrary: hostileString }),
    resource: fc.oneof(
      fc.constantFrom('b1', 'b2').map(patient),
      fc.constantFrom(...FULL_URLS, 'Patient/b1', 'Patient/missing').map(observation),
      mutated(patient('b3')),
      fc.constant(undefined),
    ),
    ifNoneExist: fc.option(fc.constantFrom('identifier=urn:mrn|b1', 'identifier=', 'nope=1', '_id=b1&_id=b2'), { nil: undefined }),
    ifMatch: fc.option(fc.constantFrom('W/"1"', 'W/"99"', '*', 'garbage'), { nil: undefined }),
  })
  .map(({ fullUrl, method, url, resource, ifNoneExist, ifMatch }) => ({
    ...(fullUrl === undefined ? {} : { fullUrl }),
    ...(resource === undefined ? {} : { resource }),
    request: { method, url, ...(ifNoneExist === undefined ? {} : { ifNoneExist }), ...(ifMatch === undefined ? {} : { ifMatch }) },
  }));

const bundle = fc
  .record({ type: fc.constantFrom('transaction', 'transaction', 'batch', 'batch', 'collection', 'searchset'), entries: fc.array(entry, { maxLength: 6 }) })
  .chain(({ type, entries }) => mutated({ resourceType: 'Bundle', type, entry: entries }, 2).map((body) => ({ type, body })));

test('transaction and batch Bundles with mutated entries: below 500, refused Bundles wrote nothing, transactions are all or nothing', async () => {
  const seeded = await file.fhir('PUT', '/Patient/b1', { body: { ...patient('b1'), id: 'b1' } });
  assert.ok(seeded.status < 300, seeded.text);
  await fuzzServer(
    file.server,
    { name: 'bundles', file: THIS_FILE, runs: fuzzRuns(150) },
    bundle,
    async ({ type, body }, sendWatched) => {
      const text = JSON.stringify(body);
      const what = `POST / ${text.slice(0, 600)}`;
      const res = await sendWatched(() => file.fhir('POST', '', { raw: text, headers: { 'content-type': 'application/fhir+json' } }), what);
      assertFhirAnswer(res, what);
      if (type === 'transaction' && res.status === 200 && res.json?.type === 'transaction-response') {
        // A transaction answered 200 carried out every entry: none may have failed.
        const failed = (res.json.entry as { response?: { status?: string } }[]).filter((e) => !/^2\d\d/.test(e.response?.status ?? ''));
        assert.deepEqual(failed, [], `${what}: a transaction answered 200 with failed entries`);
      }
    },
  );
});
