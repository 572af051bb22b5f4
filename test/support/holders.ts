import assert from 'node:assert/strict';
import type { TestServer } from './fhirkeep-server.js';
import { institutionToken } from './institution.js';

/**
 * Account holders with one record each: for every patient id, a Patient and a body-weight
 * Observation written by the institution's own system (so they belong to no consent yet).
 * Resolves to each patient's Observation id.
 */
export async function seedHolders(server: TestServer, patients: readonly string[]): Promise<Record<string, string>> {
  const seed = await institutionToken(server.fhirkeep);
  const write = async (method: 'PUT' | 'POST', path: string, body: object) => {
    const res = await fetch(`${server.fhirBase}/${path}`, { method, headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, await res.clone().text());
    return (await res.json()) as { id: string };
  };
  const observations: Record<string, string> = {};
  for (const patient of patients) {
    await write('PUT', `Patient/${patient}`, { resourceType: 'Patient', id: patient });
    observations[patient] = (await write('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${patient}` } })).id;
  }
  return observations;
}
