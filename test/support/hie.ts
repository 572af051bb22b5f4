import assert from 'node:assert/strict';
import { AREA_CODE_EXTENSION } from '../../src/fhir/area-code.js';
import type { Fhirkeep } from '../../src/server.js';
import type { TestServer } from './fhirkeep-server.js';
import { institutionToken } from './institution.js';

export const HIE_PASSWORD = 'correct horse battery staple';
export const CONFIDENTIAL = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' };

/** An organization's API credentials: the partners' `client_id` and `X-Auth-Token`. */
export interface HieOrganization {
  readonly clientId: string;
  readonly token: string;
}

/**
 * Two organizations, users with each kind of profile, and patients inside and outside their
 * catchments (docs/hie.md):
 *   - provider@ (provider, 302618), admin@ (admin, 302618), facility@ (facility, 302619),
 *     patient@ (patient pOwn), idle@ (provider, 302618, not activated);
 *   - pIn (area 30261801), pDistrict (district 302618), pNext (30261901), pOwn (5511), each with
 *     Observation o-<id> and Encounter e-<id>; the confidential Encounter eSecret of pIn with
 *     Observation oSecret made in it, and eOwnSecret of pOwn; ValueSet vs1 (directory data).
 */
export interface HieFixture {
  readonly clinic: HieOrganization;
  readonly otherOrg: HieOrganization;
  /** The institution's token the data was written with. */
  readonly seed: string;
}

export async function hieOrganization(fhirkeep: Fhirkeep, name: string): Promise<HieOrganization> {
  const org = await fhirkeep.auth.accounts.createOrganization({ name });
  const { client, token } = await fhirkeep.hie.clients.create(org.id);
  return { clientId: client.id, token };
}

/** An account (password HIE_PASSWORD) with HIE profiles and groups. */
export async function hieUser(fhirkeep: Fhirkeep, email: string, profiles: readonly { type: string; id: string; catchments: string[] }[], groups: readonly string[] = []): Promise<void> {
  await fhirkeep.auth.accounts.create({ email, password: HIE_PASSWORD, roles: ['practitioner'], practitionerId: 'dr1', displayName: email.split('@')[0] });
  for (const p of profiles) await fhirkeep.hie.accounts.putProfile(email, p);
  for (const g of groups) await fhirkeep.hie.accounts.addGroup(email, g);
}

/** The partners' header set for an organization's call (and, with a user's token, for a FHIR request). */
export const hieHeaders = (o: HieOrganization) => ({ client_id: o.clientId, 'X-Auth-Token': o.token });

/** Sign-in as the partner documentation shows it: the organization's headers and a form body. */
export async function hieSignIn(baseUrl: string, via: HieOrganization, email: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/1.0/sso/signin`, { method: 'POST', headers: hieHeaders(via), body: new URLSearchParams({ email, password: HIE_PASSWORD }) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const { access_token: token } = JSON.parse(text) as { access_token: string };
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  return token;
}

export const areaAddress = (code: string) => [{ extension: [{ url: AREA_CODE_EXTENSION, valueCode: code }], city: 'x' }];

export async function seedHieFixture(server: TestServer): Promise<HieFixture> {
  const { fhirkeep } = server;
  const clinic = await hieOrganization(fhirkeep, 'Upazila Health Complex');
  const otherOrg = await hieOrganization(fhirkeep, 'Another hospital');
  await hieUser(fhirkeep, 'provider@example.org', [{ type: 'provider', id: '1001', catchments: ['302618'] }], ['API Consumer']);
  await hieUser(fhirkeep, 'admin@example.org', [{ type: 'admin', id: '9', catchments: ['302618'] }], ['MCI Admin', 'API Consumer']);
  await hieUser(fhirkeep, 'facility@example.org', [{ type: 'facility', id: '10000069', catchments: ['302619'] }]);
  await hieUser(fhirkeep, 'patient@example.org', [{ type: 'patient', id: 'pOwn', catchments: [] }]);
  await hieUser(fhirkeep, 'idle@example.org', [{ type: 'provider', id: '1002', catchments: ['302618'] }]);
  await fhirkeep.hie.accounts.setActivated('idle@example.org', false);

  const seed = await institutionToken(fhirkeep);
  const put = async (resource: { resourceType: string; id: string } & Record<string, unknown>) => {
    const res = await fetch(`${server.fhirBase}/${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    assert.ok(res.ok, await res.text());
  };
  await put({ resourceType: 'Patient', id: 'pIn', name: [{ family: 'Inside' }], address: areaAddress('30261801') });
  await put({ resourceType: 'Patient', id: 'pDistrict', name: [{ family: 'District' }], address: [{ district: '302618' }] });
  await put({ resourceType: 'Patient', id: 'pNext', name: [{ family: 'Next' }], address: areaAddress('30261901') });
  await put({ resourceType: 'Patient', id: 'pOwn', name: [{ family: 'Own' }], address: areaAddress('5511') });
  for (const p of ['pIn', 'pDistrict', 'pNext', 'pOwn']) {
    await put({ resourceType: 'Observation', id: `o-${p}`, status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${p}` } });
    await put({ resourceType: 'Encounter', id: `e-${p}`, status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${p}` } });
  }
  await put({ resourceType: 'Encounter', id: 'eSecret', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pIn' }, meta: { security: [CONFIDENTIAL] } });
  await put({ resourceType: 'Observation', id: 'oSecret', status: 'final', code: { text: 'viral load' }, subject: { reference: 'Patient/pIn' }, encounter: { reference: 'Encounter/eSecret' } });
  await put({ resourceType: 'Encounter', id: 'eOwnSecret', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pOwn' }, meta: { security: [CONFIDENTIAL] } });
  await put({ resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://example.org/vs1' });
  return { clinic, otherOrg, seed };
}
