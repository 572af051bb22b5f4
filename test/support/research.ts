import assert from 'node:assert/strict';
import type { TestServer } from './fhirkeep-server.js';
import type { HttpResult } from './http.js';
import { institutionToken } from './institution.js';

export const TRIALS = 'https://clinicaltrials.gov';
/** The heart study by its identifier (its id is `heart`). */
export const HEART = `${TRIALS}|NCT00000001`;
/** Where the partner documentation sends its token request. */
export const PARTNER_TOKEN_PATH = '/msk-apim/external/msk-oidc/oauth2/token';

export interface Partner {
  readonly id: string;
  readonly secret: string;
}

/**
 * Two studies and two partners (docs/research.md): pA (on study) and pB (through the active
 * Consent kB) are the heart study's subjects, pC withdrew from it, pD is in the lung study.
 * Each patient has one Observation; Practitioner/dr1 is their doctor (directory data).
 */
export interface ResearchFixture {
  /** The institution's token the data was written with. */
  readonly seed: string;
  /** The heart study's partner, granted it by its identifier. */
  readonly partner: Partner & { readonly signedAt: Date };
  /** Another partner, granted the lung study only. */
  readonly lungPartner: Partner;
  /** Each patient's Observation id. */
  readonly observations: Readonly<Record<string, string>>;
  /** Writes as the institution (PUT or POST `path`); resolves to the resource's id. */
  seedWrite(method: string, path: string, body: object): Promise<string>;
}

export const researchSubject = (id: string, patient: string, study: string, status: string, consent?: string) => ({
  resourceType: 'ResearchSubject',
  id,
  status,
  study: { reference: `ResearchStudy/${study}` },
  individual: { reference: `Patient/${patient}` },
  ...(consent === undefined ? {} : { consent: { reference: `Consent/${consent}` } }),
});

export const researchConsent = (id: string, patient: string, status: string) => ({
  resourceType: 'Consent',
  id,
  status,
  scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
  category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
  patient: { reference: `Patient/${patient}` },
});

export async function seedResearchFixture(server: TestServer): Promise<ResearchFixture> {
  const seed = await institutionToken(server.fhirkeep);
  const seedWrite = async (method: string, path: string, body: object): Promise<string> => {
    const res = await fetch(`${server.fhirBase}/${path}`, { method, headers: { authorization: `Bearer ${seed}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.ok(res.status < 300, text);
    return (JSON.parse(text) as { id: string }).id;
  };
  const observations: Record<string, string> = {};
  await seedWrite('PUT', 'Practitioner/dr1', { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Heart' }] });
  for (const [patient, family] of [['pA', 'Alpha'], ['pB', 'Beta'], ['pC', 'Gamma'], ['pD', 'Delta']] as const) {
    await seedWrite('PUT', `Patient/${patient}`, { resourceType: 'Patient', id: patient, name: [{ family }], generalPractitioner: [{ reference: 'Practitioner/dr1' }] });
    observations[patient] = await seedWrite('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, subject: { reference: `Patient/${patient}` } });
  }
  await seedWrite('PUT', 'ResearchStudy/heart', { resourceType: 'ResearchStudy', id: 'heart', status: 'active', identifier: [{ system: TRIALS, value: 'NCT00000001' }] });
  await seedWrite('PUT', 'ResearchStudy/lung', { resourceType: 'ResearchStudy', id: 'lung', status: 'active' });
  await seedWrite('PUT', 'Consent/kB', researchConsent('kB', 'pB', 'active'));
  await seedWrite('PUT', 'ResearchSubject/sA', researchSubject('sA', 'pA', 'heart', 'on-study'));
  await seedWrite('PUT', 'ResearchSubject/sB', researchSubject('sB', 'pB', 'heart', 'on-study-intervention', 'kB'));
  await seedWrite('PUT', 'ResearchSubject/sC', researchSubject('sC', 'pC', 'heart', 'withdrawn'));
  await seedWrite('PUT', 'ResearchSubject/sD', researchSubject('sD', 'pD', 'lung', 'on-study'));

  const { clients } = server.fhirkeep.auth;
  // Registered scopes are what the partners' API keys act with; their tokens get `full`'s.
  const registered = await clients.register({ type: 'research', name: 'Heart lab', scopes: ['system/*.rs'] });
  const partner = { id: registered.client.id, secret: registered.secret ?? '', signedAt: registered.client.agreementSignedAt ?? assert.fail('a research partner signs its agreement at registration') };
  const lung = await clients.register({ type: 'research', name: 'Lung lab', scopes: ['system/*.rs'] });
  const lungPartner = { id: lung.client.id, secret: lung.secret ?? '' };
  await server.fhirkeep.studies.grant(partner.id, HEART);
  await server.fhirkeep.studies.grant(lungPartner.id, 'lung');
  return { seed, partner, lungPartner, observations, seedWrite };
}

/** The token request exactly as the partner documentation shows it: parameters in the query string, no body. */
export async function partnerToken(baseUrl: string, who: Partner, scope = 'full', path = PARTNER_TOKEN_PATH): Promise<HttpResult> {
  const query = new URLSearchParams({ client_id: who.id, client_secret: who.secret, grant_type: 'client_credentials', scope });
  const res = await fetch(`${baseUrl}${path}?${query.toString()}`, { method: 'POST' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text === '' ? undefined : JSON.parse(text) };
}
