import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Principal } from '../access/principal.js';
import { requesterClient, sameRequester } from './requester.js';

const token = (over: Partial<Extract<Principal, { kind: 'token' }>> = {}): Principal => ({
  kind: 'token',
  clientId: 'c1',
  accountId: undefined,
  grantId: 'g1',
  scopes: ['system/*.rs'],
  patient: undefined,
  fhirUser: undefined,
  ...over,
});

test('the same client is the same requester, whichever token or key it uses now', () => {
  assert.ok(sameRequester(token(), token({ grantId: 'g2' })));
  assert.ok(sameRequester(token(), { kind: 'key', clientId: 'c1', keyId: 'k1', scopes: [] }));
  assert.ok(!sameRequester(token(), token({ clientId: 'c2' })));
});

test('one app, two users; one broker, two organizations; one partner, two studies: different requesters', () => {
  assert.ok(!sameRequester(token({ accountId: 'a1' }), token({ accountId: 'a2' })));
  assert.ok(!sameRequester(token({ accountId: 'a1' }), token()));
  assert.ok(!sameRequester(token({ organizationId: 'o1' }), token({ organizationId: 'o2' })));
  assert.ok(!sameRequester(token({ organizationId: 'o1' }), token()));
  assert.ok(!sameRequester(token({ studyId: 's1' }), token({ studyId: 's2' })));
});

test('an HIE user is the same requester only as themselves through the same client', () => {
  const hie: Principal = { kind: 'hie', accountId: 'a1', clientId: 'h1' };
  assert.ok(sameRequester(hie, { ...hie }));
  assert.ok(!sameRequester(hie, { kind: 'hie', accountId: 'a2', clientId: 'h1' }));
  assert.ok(!sameRequester(hie, { kind: 'hie', accountId: 'a1', clientId: 'h2' }));
  assert.ok(!sameRequester(hie, token({ clientId: 'h1', accountId: 'a1' })));
});

test('nobody is the requester of an anonymous or system principal but the development switch', () => {
  assert.ok(sameRequester({ kind: 'dev-anonymous' }, { kind: 'dev-anonymous' }));
  assert.ok(!sameRequester({ kind: 'anonymous' }, { kind: 'anonymous' }));
  assert.ok(!sameRequester({ kind: 'system', reason: 'x' }, { kind: 'system', reason: 'x' }));
  assert.equal(requesterClient({ kind: 'dev-anonymous' }), undefined);
  assert.equal(requesterClient(token()), 'c1');
});
