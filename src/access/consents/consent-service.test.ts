import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Sql } from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { SecurityEvent } from '../../auth/security-events.js';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { validateResource } from '../../fhir/validator.js';
import { createConsentStore } from '../../storage/access/consent-store.js';
import { createGrantStore } from '../../storage/auth/grant-store.js';
import { isSharing } from './consent.js';
import { CLIENT_IDENTIFIER_SYSTEM, ORGANIZATION_IDENTIFIER_SYSTEM } from '../../fhir/fhirkeep-systems.js';
import { FILTER_VERSION_EXTENSION } from './consent-resource.js';
import { createConsentService, type ConsentService } from './consent-service.js';

let testDb: TestDatabase;
let sql: Sql;
let service: ConsentService;
const events: SecurityEvent[] = [];

before(async () => {
  testDb = await createTestDatabase();
  sql = testDb.db.sql;
  await sql`insert into accounts (id, email, roles, patient_id) values ('holder', 'holder@example.org', '{patient}', 'pat-1'), ('nopatient', 'np@example.org', '{developer}', null), ('clinician', 'dr@example.org', '{practitioner}', null)`;
  await sql`insert into organizations (id, name) values ('org', 'Clinic')`;
  await sql`insert into clients (id, type, name, public) values ('app', 'smart', 'App', true), ('svc', 'service', 'Service', false),
              ('broker', 'broker', 'Broker', false), ('gone', 'smart', 'Gone', true)`;
  await sql`update clients set revoked_at = now() where id = 'gone'`;
  const grants = createGrantStore(sql);
  service = createConsentService({ store: createConsentStore(sql), revokeGrants: (a, c) => grants.revokeGrantsOf(a, c), record: (e) => events.push(e) });
});
after(() => testDb.drop());

async function rejectsWith(work: Promise<unknown>, code: string, message: RegExp, expression?: string): Promise<void> {
  await assert.rejects(work, (e: unknown) => {
    assert.ok(isFhirkeepError(e), String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    if (expression !== undefined) assert.equal(e.details[0]?.expression, expression);
    return true;
  });
}

async function liveGrant(accountId: string, clientId: string): Promise<string> {
  const id = randomUUID();
  await sql`insert into grants (id, client_id, account_id, grant_type, scopes, expires_at) values (${id}, ${clientId}, ${accountId}, 'authorization_code', '{}', now() + interval '1 hour')`;
  return id;
}

const revokedAt = async (grantId: string) => (await sql<{ revoked_at: Date | null }[]>`select revoked_at from grants where id = ${grantId}`)[0]?.revoked_at;

describe('grant', () => {
  test('an app consent: one row per pair, the holder’s Patient, the client’s filter version, a valid R4 Consent', async () => {
    const consent = await service.grant({ accountId: 'holder', clientId: 'app', scopes: ['patient/*.rs', 'openid', 'openid'] }, 'holder');
    assert.equal(consent.kind, 'app', 'inferred from a smart client');
    assert.deepEqual([consent.status, consent.patientId, consent.filterVersion, consent.currentFilterVersion], ['active', 'pat-1', 1, 1]);
    assert.deepEqual(consent.scopes, ['patient/*.rs', 'openid']);
    assert.ok(isSharing(consent));
    const r = consent.resource;
    assert.equal(r.resourceType, 'Consent');
    assert.equal(r.id, consent.id);
    assert.equal(r.scope.coding[0]?.code, 'patient-privacy');
    assert.equal(r.category[0]?.coding[0]?.code, '59284-0');
    assert.deepEqual(r.patient, { reference: 'Patient/pat-1' });
    assert.deepEqual(r.provision.actor[0]?.reference, { identifier: { system: CLIENT_IDENTIFIER_SYSTEM, value: 'app' } });
    assert.equal(r.extension?.find((e) => e.url === FILTER_VERSION_EXTENSION)?.valueInteger, 1);
    const valid = validateResource(JSON.parse(JSON.stringify(r)));
    assert.ok(valid.ok, JSON.stringify(valid));
    const stored = await sql<{ resource: { id: string; status: string } }[]>`select resource from consents where id = ${consent.id}`;
    assert.deepEqual([stored[0]?.resource.id, stored[0]?.resource.status], [consent.id, 'active'], 'the row keeps its Consent');

    const again = await service.grant({ accountId: 'holder', clientId: 'app', scopes: ['openid'] });
    assert.equal(again.id, consent.id, 'the same row');
    assert.deepEqual(again.scopes, ['openid'], 'the latest decision');
    assert.ok(events.some((e) => e.kind === 'consent-change' && e.detail?.['consent'] === consent.id && e.detail?.['to'] === 'active'));
  });

  test('a service-type client means a subscription; organization and broker consents', async () => {
    assert.equal((await service.grant({ accountId: 'holder', clientId: 'svc' })).kind, 'service');
    const sharing = await service.grant({ accountId: 'holder', organizationId: 'org' });
    assert.deepEqual([sharing.kind, sharing.patientId, sharing.filterVersion], ['organization', 'pat-1', undefined]);
    assert.deepEqual(sharing.resource.provision.actor[0]?.reference, { identifier: { system: ORGANIZATION_IDENTIFIER_SYSTEM, value: 'org' } });
    const broker = await service.grant({ organizationId: 'org', clientId: 'broker', status: 'proposed' });
    assert.deepEqual([broker.kind, broker.status, broker.patientId, broker.accountId], ['broker', 'proposed', undefined, undefined]);
    assert.equal(broker.resource.patient, undefined);
    assert.ok(validateResource(JSON.parse(JSON.stringify(broker.resource))).ok);
  });

  test('bad input names the field; a holder without a Patient cannot subscribe (422) but may consent to an app', async () => {
    await rejectsWith(service.grant({ accountId: 'holder' }), 'bad-request', /^kind:/, 'kind');
    await rejectsWith(service.grant({ kind: 'app', accountId: 'holder' }), 'bad-request', /^client: a app consent names its client/, 'client');
    await rejectsWith(service.grant({ kind: 'broker', accountId: 'holder', organizationId: 'org', clientId: 'broker' }), 'bad-request', /^account: a broker consent has no account/);
    await rejectsWith(service.grant({ accountId: 'nobody', clientId: 'app' }), 'bad-request', /^account: there is no account nobody/);
    await rejectsWith(service.grant({ accountId: 'holder', organizationId: 'nowhere' }), 'bad-request', /^organization: there is no organization/);
    await rejectsWith(service.grant({ accountId: 'holder', clientId: 'gone' }), 'bad-request', /^client: client gone is revoked/);
    await rejectsWith(service.grant({ kind: 'service', accountId: 'holder', clientId: 'app' }), 'bad-request', /service client, and app is a smart client/);
    await rejectsWith(service.grant({ organizationId: 'org', clientId: 'app' }), 'bad-request', /broker client/);
    await rejectsWith(service.grant({ accountId: 'holder', clientId: 'app', scopes: ['a b'] }), 'bad-request', /^scope:/);
    await rejectsWith(service.grant({ accountId: 'holder', organizationId: 'org', scopes: ['openid'] }), 'bad-request', /^scope: a organization consent has no scopes/);
    await rejectsWith(service.grant({ accountId: 'nopatient', clientId: 'svc' }), 'unprocessable', /no linked Patient/, 'account');
    // Consent to an app lets it act for the account: any account may give it.
    assert.equal((await service.grant({ accountId: 'clinician', clientId: 'app' })).patientId, undefined);
    await rejectsWith(service.grant({ accountId: 'hol\u0000der', clientId: 'app' }), 'bad-request', /no account/);
  });
});

describe('lifecycle', () => {
  test('draft → proposed → active → inactive → active; impossible moves are 409; unknown ids 404', async () => {
    const draft = await service.grant({ organizationId: 'org', clientId: 'broker', status: 'draft' });
    assert.equal((await service.setStatus(draft.id, 'proposed')).status, 'proposed');
    assert.equal((await service.setStatus(draft.id, 'active')).status, 'active');
    await rejectsWith(service.setStatus(draft.id, 'proposed'), 'version-conflict', /active cannot become proposed/);
    assert.equal((await service.revoke(draft.id)).status, 'inactive');
    assert.equal((await service.revoke(draft.id)).status, 'inactive', 'revoking twice is harmless');
    assert.equal((await service.setStatus(draft.id, 'active')).resource.status, 'active');
    assert.equal((await service.setStatus(draft.id, 'entered-in-error')).status, 'entered-in-error');
    await rejectsWith(service.setStatus(draft.id, 'active'), 'version-conflict', /entered-in-error is final/);
    await rejectsWith(service.setStatus(randomUUID(), 'active'), 'not-found', /no consent/);
    await rejectsWith(service.setStatus('not-a-uuid', 'active'), 'not-found', /no consent/);
    const regranted = await service.grant({ organizationId: 'org', clientId: 'broker' });
    assert.deepEqual([regranted.id, regranted.status], [draft.id, 'active'], 'a new decision re-activates the pair’s one row');
  });

  test('stopping an app consent revokes the holder’s grants for that client at once, and only those', async () => {
    const consent = await service.grant({ accountId: 'holder', clientId: 'app' });
    const mine = await liveGrant('holder', 'app');
    const otherClient = await liveGrant('holder', 'svc');
    await service.setStatus(consent.id, 'active');
    assert.equal(await revokedAt(mine), null, 'confirming revokes nothing');
    await service.revoke(consent.id);
    assert.ok(await revokedAt(mine), 'the grant is revoked');
    assert.equal(await revokedAt(otherClient), null);
    const later = await liveGrant('holder', 'app');
    await service.setStatus(consent.id, 'active');
    await service.setStatus(consent.id, 'entered-in-error');
    assert.ok(await revokedAt(later));
  });

  test('approving fewer scopes than before revokes the grants issued under the wider approval', async () => {
    await service.grant({ accountId: 'holder', clientId: 'app', scopes: ['openid', 'patient/*.rs'] });
    const wide = await liveGrant('holder', 'app');
    await service.grant({ accountId: 'holder', clientId: 'app', scopes: ['openid', 'patient/*.rs'] });
    assert.equal(await revokedAt(wide), null, 'the same scopes again revoke nothing');
    await service.grant({ accountId: 'holder', clientId: 'app', scopes: ['openid'] });
    assert.ok(await revokedAt(wide), 'its tokens carried patient/*.rs');
  });

  test('a filter change leaves the consent outdated until it is activated again', async () => {
    const consent = await service.grant({ accountId: 'holder', clientId: 'svc' });
    await sql`update clients set filter_version = filter_version + 1 where id = 'svc'`;
    const outdated = await service.find(consent.id);
    assert.deepEqual([outdated?.status, outdated?.filterVersion, outdated?.currentFilterVersion], ['active', 1, 2]);
    assert.equal(outdated !== undefined && isSharing(outdated), false, 'active, but confirmed for an older filter');
    const confirmed = await service.setStatus(consent.id, 'active');
    assert.deepEqual([confirmed.filterVersion, isSharing(confirmed)], [2, true]);
  });

  test('list by account, organization and client; visibility limits a non-admin', async () => {
    const byAccount = await service.list({ accountId: 'holder' });
    assert.ok(byAccount.length >= 3 && byAccount.every((c) => c.accountId === 'holder'));
    const byOrg = await service.list({ organizationId: 'org' });
    assert.deepEqual(new Set(byOrg.map((c) => c.kind)), new Set(['organization', 'broker']));
    assert.ok((await service.list({ clientId: 'app' })).every((c) => c.clientId === 'app'));
    const visible = await service.list({ visibleTo: { accountId: 'nopatient', organizationIds: ['org'] } });
    assert.ok(visible.length > 0 && visible.every((c) => c.organizationId === 'org'));
    assert.deepEqual(await service.list({ visibleTo: { accountId: 'nopatient', organizationIds: [] } }), []);
    assert.deepEqual(await service.list({ accountId: 'x\u0000' }), []);
  });
});
