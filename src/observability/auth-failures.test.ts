import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authFailureOf } from './auth-failures.js';

test('FHIR and Bulk Data: 401 is invalid_token, 403 insufficient_scope (RFC 6750 §3.1); other answers are no refusal', () => {
  assert.deepEqual(authFailureOf('fhir:read', 401, undefined), { endpoint: 'fhir', reason: 'invalid_token' });
  assert.deepEqual(authFailureOf('fhir:search-type', 403, undefined), { endpoint: 'fhir', reason: 'insufficient_scope' });
  assert.deepEqual(authFailureOf('/fhir/bulk-status/:id', 401, undefined), { endpoint: 'bulk', reason: 'invalid_token' });
  assert.deepEqual(authFailureOf('/fhir/bulk-files/:id/:name', 403, undefined), { endpoint: 'bulk', reason: 'insufficient_scope' });
  for (const status of [200, 400, 404, 429, 500]) assert.equal(authFailureOf('fhir:read', status, undefined), undefined, String(status));
});

test('OAuth endpoints: the error code they sent; a server error or an answer without one is no refusal', () => {
  assert.deepEqual(authFailureOf('/oauth2/token', 401, 'invalid_client'), { endpoint: 'token', reason: 'invalid_client' });
  assert.deepEqual(authFailureOf('/msk-apim/external/msk-oidc/oauth2/token', 400, 'invalid_grant'), { endpoint: 'token', reason: 'invalid_grant' });
  assert.deepEqual(authFailureOf('/oauth2/introspect', 401, 'invalid_client'), { endpoint: 'introspect', reason: 'invalid_client' });
  assert.deepEqual(authFailureOf('/oauth2/revoke', 400, 'unsupported_token_type'), { endpoint: 'revoke', reason: 'unsupported_token_type' });
  assert.deepEqual(authFailureOf('/oauth2/userinfo', 401, 'invalid_token'), { endpoint: 'userinfo', reason: 'invalid_token' });
  assert.equal(authFailureOf('/oauth2/token', 500, 'server_error'), undefined);
  assert.equal(authFailureOf('/oauth2/token', 413, undefined), undefined, 'a body too large never reached the endpoint');
});

test('sign-in forms, the HIE dialect, the JSON API and the portal', () => {
  assert.deepEqual(authFailureOf('/portal/sign-in', 401, undefined), { endpoint: 'login', reason: 'invalid_credentials' });
  assert.deepEqual(authFailureOf('/oauth2/authorize/login', 429, undefined), { endpoint: 'login', reason: 'throttled' });
  assert.equal(authFailureOf('/oauth2/authorize/login', 200, undefined), undefined, 'the login page shown again is no refusal');
  assert.deepEqual(authFailureOf('/api/1.0/sso/signin', 404, undefined), { endpoint: 'hie', reason: 'invalid_credentials' });
  assert.deepEqual(authFailureOf('/api/1.0/sso/signin', 401, undefined), { endpoint: 'hie', reason: 'invalid_client' });
  assert.deepEqual(authFailureOf('/api/1.0/sso/signin', 429, undefined), { endpoint: 'hie', reason: 'throttled' });
  assert.deepEqual(authFailureOf('/api/1.0/sso/token/:token', 401, undefined), { endpoint: 'hie', reason: 'unauthenticated' });
  assert.deepEqual(authFailureOf('/api/clients', 401, undefined), { endpoint: 'api', reason: 'no_session' });
  assert.deepEqual(authFailureOf('/api/users/:user', 403, undefined), { endpoint: 'api', reason: 'forbidden' });
  assert.deepEqual(authFailureOf('/portal/admin/users', 403, undefined), { endpoint: 'portal', reason: 'forbidden' });
  assert.equal(authFailureOf('/healthz', 401, undefined), undefined);
  assert.equal(authFailureOf('unmatched', 401, undefined), undefined);
});
