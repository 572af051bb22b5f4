import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SIGN_UPS_PER_ADDRESS } from '../src/auth/accounts/sign-up-throttle.js';
import { serverForThisFile } from './support/fhirkeep-server.js';
import { inputValue, TestBrowser } from './support/browser.js';

/**
 * The sign-up throttle over HTTP (docs/portal/portal-account.md): a server of its own, since every
 * request of a test file comes from the same address and this file spends its whole allowance.
 */
const file = serverForThisFile();
const PASSWORD = 'a long portal password';

test(`past ${DEFAULT_SIGN_UPS_PER_ADDRESS} sign-up attempts from one address in a window, the form answers 429 and makes no account`, async () => {
  const visitor = new TestBrowser(file.server.baseUrl);
  const csrf = inputValue((await visitor.get('/portal/sign-up')).text, 'csrf') ?? '';
  // Failed attempts count too: each could be probing which emails have accounts.
  for (let i = 0; i < DEFAULT_SIGN_UPS_PER_ADDRESS; i++) {
    const res = await visitor.post('/portal/sign-up', { role: 'developer', name: '', email: `probe-${i}@example.org`, password: 'short', password_again: 'short', csrf });
    assert.equal(res.status, 400, `attempt ${i + 1} is answered on its merits`);
  }
  const locked = await visitor.post('/portal/sign-up', { role: 'developer', name: '', email: 'late@example.org', password: PASSWORD, password_again: PASSWORD, csrf });
  assert.equal(locked.status, 429);
  assert.match(locked.text, /<p class="error" role="alert">Too many sign-ups from your network; try again in \d+ seconds<\/p>/);
  assert.equal(visitor.jar.get('fhirkeep_session'), undefined);
  assert.equal(await file.server.fhirkeep.auth.accounts.findByEmail('late@example.org'), undefined);
  // Signing in is a different door: the sign-up limit does not lock it.
  await file.server.fhirkeep.auth.accounts.create({ email: 'existing@example.org', password: PASSWORD, roles: ['developer'] });
  const signedIn = await visitor.post('/portal/sign-in', { email: 'existing@example.org', password: PASSWORD, next: '/portal', csrf });
  assert.equal(signedIn.location, '/portal');
});
