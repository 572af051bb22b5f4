import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Account } from '../auth/accounts/account.js';
import type { FhirRequest, FhirResponse } from '../rest/fhir-request.js';
import type { FhirRouter } from '../rest/router.js';
import { patientDirectory } from './patient-directory.js';

const account = (roles: Account['roles'], patientId?: string): Account => ({
  id: 'a',
  email: 'a@example.org',
  roles,
  displayName: undefined,
  patientId,
  practitionerId: roles.includes('practitioner') ? 'pr1' : undefined,
  disabled: false,
});

/** A router that answers every read with a Patient of the requested id and records the paths. */
function recordingRouter(): { router: FhirRouter; paths: string[] } {
  const paths: string[] = [];
  const handle = async (req: FhirRequest): Promise<FhirResponse> => {
    paths.push(req.path);
    const id = req.path.split('/')[1] ?? '';
    return { status: 200, headers: {}, body: { kind: 'json', value: { resourceType: 'Patient', id, name: [{ given: ['Ann'], family: 'Lee' }] } } };
  };
  return { router: { handle } as unknown as FhirRouter, paths };
}

test('a practitioner may find any patient by id; an account holder only their own; other roles none', async () => {
  const { router } = recordingRouter();
  const directory = patientDirectory(router);
  assert.deepEqual(await directory.find(account(['practitioner']), 'p9'), { id: 'p9', name: 'Ann Lee' });
  assert.deepEqual(await directory.find(account(['patient'], 'p1'), 'p1'), { id: 'p1', name: 'Ann Lee' });
  assert.equal(await directory.find(account(['patient'], 'p1'), 'p9'), undefined);
  assert.equal(await directory.find(account(['developer']), 'p9'), undefined);
});

test('an id from a form that is not a FHIR id never reaches the router', async () => {
  const { router, paths } = recordingRouter();
  const directory = patientDirectory(router);
  for (const id of ['../Observation/o1', 'p1/_history/1', 'p1?x=1', '', 'a'.repeat(65)]) {
    assert.equal(await directory.find(account(['admin']), id), undefined, id);
  }
  assert.deepEqual(paths, []);
});
