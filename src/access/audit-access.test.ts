import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScopeString } from '../auth/smart/scopes.js';
import { isFhirkeepError } from '../errors/fhirkeep-error.js';
import { loadDefinitions } from '../fhir/definitions.js';
import type { SearchQuery } from '../search/query/search-query.js';
import { auditReachOf, holderAuditReach, type AuditAccount } from './audit-access.js';
import { anonymousScope, systemScope, type AccessScope } from './scope.js';
import { compileSmartScopes } from './smart-access.js';

const definitions = loadDefinitions();
const defs = {
  resourceTypes: definitions.resourceTypes,
  compartmentTypes: new Set(Object.keys(definitions.patientCompartment)),
  // A granular scope's filter parses to one clause per parameter.
  parseSearch: (_types: readonly string[], query: URLSearchParams) => ({ clauses: [...query].map(() => ({ kind: 'token' })) }) as unknown as SearchQuery,
};

const ACCOUNTS: Readonly<Record<string, AuditAccount>> = {
  auditor: { roles: ['admin'], patientId: undefined, disabled: false },
  hana: { roles: ['patient'], patientId: 'hana-p', disabled: false },
  doc: { roles: ['practitioner'], patientId: undefined, disabled: false },
  gone: { roles: ['admin'], patientId: undefined, disabled: true },
};
const account = async (id: string) => ACCOUNTS[id];

function token(accountId: string | undefined, scopes: string, patient?: string): AccessScope {
  return {
    ...systemScope('unused'),
    principal: { kind: 'token', clientId: 'app', accountId, grantId: 'g', scopes: scopes.split(' '), patient, fhirUser: undefined },
    ...compileSmartScopes(parseScopeString(scopes), patient === undefined ? {} : { patient }, defs),
  };
}

const refused = (scope: AccessScope, permission: 'r' | 's' = 's') =>
  assert.rejects(auditReachOf(scope, permission, account), (e: unknown) => isFhirkeepError(e) && e.code === 'forbidden');

test('an admin with a user/ scope on AuditEvent is the auditor: every event', async () => {
  assert.equal((await auditReachOf(token('auditor', 'user/AuditEvent.rs'), 's', account)).kind, 'every-event');
  assert.equal((await auditReachOf(token('auditor', 'user/*.r'), 'r', account)).kind, 'every-event');
  assert.equal((await auditReachOf(systemScope('a job'), 's', account)).kind, 'every-event', 'internal jobs, as for all data');
});

test("an account holder sees her own Patient's events, through user/ scopes or patient/ scopes launched with her Patient", async () => {
  assert.deepEqual(await auditReachOf(token('hana', 'user/AuditEvent.rs'), 's', account), { kind: 'patient', patientId: 'hana-p', acting: undefined });
  assert.deepEqual(await auditReachOf(token('hana', 'patient/*.rs', 'hana-p'), 'r', account), { kind: 'patient', patientId: 'hana-p', acting: undefined });
  // An admin whose token is patient/-scoped is narrowed to what the scope says: her own, if any.
  await refused(token('auditor', 'patient/AuditEvent.rs', 'hana-p'));
  assert.deepEqual(holderAuditReach({ patientId: 'hana-p' }), { kind: 'patient', patientId: 'hana-p', acting: undefined });
});

test('anyone else is refused (403): no AuditEvent scope, no account, no Patient, a patient/ scope for someone else, a granular scope, a disabled account', async () => {
  await refused(token('auditor', 'user/Observation.rs'));
  await refused(token('auditor', 'user/AuditEvent.s'), 'r');
  await refused(token(undefined, 'system/AuditEvent.rs'));
  await refused(token('doc', 'user/AuditEvent.rs'));
  await refused(token('hana', 'patient/AuditEvent.rs', 'someone-else'));
  await refused(token('auditor', 'user/AuditEvent.rs?type=rest'));
  await refused(token('gone', 'user/AuditEvent.rs'));
  await refused(anonymousScope());
  assert.throws(() => holderAuditReach({ patientId: undefined }), (e: unknown) => isFhirkeepError(e) && e.code === 'forbidden');
});
