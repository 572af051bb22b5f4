import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../../test/support/fhirkeep-server.js';

/** Refusals made before an OAuth handler runs are OAuth errors too (found by test/fuzz/authorization.test.ts). */
let server: TestServer;
before(async () => {
  server = await startTestServer({ FHIRKEEP_BODY_LIMIT: '1000' });
});
after(() => server.close());

test('a body over the limit at the OAuth endpoints is a 413 OAuth error, not an OperationOutcome', async () => {
  for (const path of ['/oauth2/token', '/msk-apim/external/msk-oidc/oauth2/token', '/oauth2/introspect', '/oauth2/revoke', '/oauth2/userinfo']) {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_assertion=${'x'.repeat(5000)}`,
    });
    assert.equal(res.status, 413, path);
    assert.equal(res.headers.get('cache-control'), 'no-store', path);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.error, 'invalid_request', `${path}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.error_description, 'string', path);
  }
});
