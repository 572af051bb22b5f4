import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoNotice } from './demo-notice.js';

test('the demo notice: nothing without a demo, else every login and a curl line with the key', () => {
  assert.deepEqual(demoNotice(undefined, 'http://localhost:8080/fhir'), { lines: [], json: undefined });
  const demo = {
    patients: ['demo-alice'],
    patientLogin: { email: 'alice@demo.fhirkeep.local', password: 'pw-once', patientId: 'demo-alice' },
    app: { clientId: 'app-1', redirectUri: 'http://localhost:9000/callback', scopes: ['openid'] },
    service: { clientId: 'svc-1', clientSecret: 'svc-secret', apiKey: 'fhk_key' },
  };
  const notice = demoNotice(demo, 'http://localhost:8080/fhir');
  assert.equal(notice.json, demo);
  const text = notice.lines.join('\n');
  for (const shown of ['alice@demo.fhirkeep.local / pw-once', 'client_id app-1', 'svc-secret', 'shown only this once']) assert.ok(text.includes(shown), shown);
  assert.match(text, /curl -H "Authorization: Bearer fhk_key" http:\/\/localhost:8080\/fhir\/Observation/);
});
