import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminNotice } from './admin-notice.js';

test('the admin notice: nothing when no admin was made, the login otherwise, a generated password once', () => {
  assert.deepEqual(adminNotice({ created: false }), { lines: [], json: undefined });
  const configured = adminNotice({ created: true, email: 'ops@example.org' });
  assert.deepEqual(configured.json, { email: 'ops@example.org' });
  assert.match(configured.lines.join('\n'), /ops@example.org \(password from FHIRKEEP_ADMIN_PASSWORD\)/);
  const generated = adminNotice({ created: true, email: 'admin@localhost', password: 'Zx9-generated_secret' });
  assert.deepEqual(generated.json, { email: 'admin@localhost', password: 'Zx9-generated_secret' });
  assert.match(generated.lines.join('\n'), /admin@localhost \/ Zx9-generated_secret[\s\S]*shown only this once/);
});
