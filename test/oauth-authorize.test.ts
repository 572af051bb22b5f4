import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sha256 } from '../src/auth/random-secret.js';
import { ACCOUNTS, APP_REDIRECT, CLIENTS, PASSWORD, pkcePair, startAuthorizeFixture, type AuthorizeFixture } from './support/authorize-fixture.js';
import { inputValue, TestBrowser, type PageResponse } from './support/browser.js';

let fx: AuthorizeFixture;
before(async () => {
  fx = await startAuthorizeFixture();
});
after(() => fx.close());

const { challenge } = pkcePair();

/** A valid request for the demo app; `overrides` replace or (with undefined) drop parameters. */
function authorizeUrl(overrides: Record<string, string | undefined> = {}, extra: [string, string][] = []): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENTS.app.id,
    redirect_uri: APP_REDIRECT,
    scope: 'openid fhirUser launch/patient patient/*.rs offline_access',
    state: 'st-123',
    aud: fx.fhirBase,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const search = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  for (const [k, v] of extra) search.append(k, v);
  return `/oauth2/authorize?${search}`;
}

function assertErrorPage(res: PageResponse, pattern: RegExp): void {
  assert.equal(res.status, 400, res.text);
  assert.equal(res.location, undefined, 'an error page, never a redirect');
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.text, pattern);
}

/** `state` null: the response must carry none. */
function assertRedirectError(res: PageResponse, error: string, state: string | null = 'st-123'): URL {
  assert.equal(res.status, 303, res.text);
  const url = new URL(res.location ?? '');
  assert.equal(`${url.origin}${url.pathname}`, APP_REDIRECT);
  assert.equal(url.searchParams.get('error'), error, url.searchParams.get('error_description') ?? '');
  assert.ok((url.searchParams.get('error_description') ?? '') !== '');
  assert.equal(url.searchParams.get('state'), state);
  assert.equal(url.searchParams.get('iss'), fx.origin, 'RFC 9207 iss on every response');
  return url;
}

/** Runs a request up to its first page (login, picker or consent). */
async function open(browser: TestBrowser, url: string): Promise<PageResponse> {
  const started = await browser.get(url);
  assert.equal(started.status, 303, started.text);
  assert.match(started.location ?? '', /^\/oauth2\/authorize\/continue\?request=/);
  return browser.follow(started);
}

async function signIn(browser: TestBrowser, loginPage: PageResponse, email: string): Promise<PageResponse> {
  assert.match(loginPage.text, /Sign in/);
  return browser.follow(
    await browser.post('/oauth2/authorize/login', { request: inputValue(loginPage.text, 'request') ?? '', csrf: inputValue(loginPage.text, 'csrf') ?? '', email, password: PASSWORD }),
  );
}

function formKeys(page: PageResponse): { request: string; csrf: string } {
  return { request: inputValue(page.text, 'request') ?? '', csrf: inputValue(page.text, 'csrf') ?? '' };
}

function checkboxes(page: PageResponse): string[] {
  return [...page.text.matchAll(/type="checkbox" name="scope" id="s\d+" value="([^"]+)" checked/g)].map((m) => m[1] ?? '');
}

async function approve(browser: TestBrowser, consent: PageResponse, scopes: readonly string[]): Promise<URL> {
  const res = await browser.post('/oauth2/authorize/consent', { ...formKeys(consent), decision: 'approve', scope: scopes });
  assert.equal(res.status, 303, res.text);
  const url = new URL(res.location ?? '');
  assert.equal(`${url.origin}${url.pathname}`, APP_REDIRECT);
  assert.ok(url.searchParams.get('code'), url.toString());
  assert.equal(url.searchParams.get('iss'), fx.origin);
  return url;
}

async function redeem(code: string) {
  const redeemed = await fx.grantStore.redeemCode(sha256(code));
  assert.ok(redeemed, 'the code is stored');
  return redeemed;
}

describe('untrusted client or redirect URI: an error page, never a redirect (RFC 6749 §4.1.2.1)', () => {
  const cases: [string, () => string, RegExp][] = [
    ['unknown client', () => authorizeUrl({ client_id: 'nobody' }), /unknown or has been revoked/],
    ['revoked client', () => authorizeUrl({ client_id: CLIENTS.revoked.id }), /unknown or has been revoked/],
    ['missing client_id', () => authorizeUrl({ client_id: undefined }), /client_id is missing/],
    ['unregistered redirect_uri', () => authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), /not one the application registered/],
    ['redirect_uri differing only by a trailing slash', () => authorizeUrl({ redirect_uri: `${APP_REDIRECT}/` }), /not one the application registered/],
    ['omitted redirect_uri with two registered', () => authorizeUrl({ client_id: CLIENTS.twoRedirects.id, redirect_uri: undefined }), /more than one/],
    ['client_id twice', () => authorizeUrl({}, [['client_id', CLIENTS.other.id]]), /more than once/],
    ['redirect_uri twice', () => authorizeUrl({}, [['redirect_uri', APP_REDIRECT]]), /more than once/],
  ];
  for (const [name, url, pattern] of cases) {
    test(name, async () => assertErrorPage(await new TestBrowser(fx.origin).get(url()), pattern));
  }

  test('the error page carries the security headers', async () => {
    const res = await new TestBrowser(fx.origin).get(authorizeUrl({ client_id: '<script>' }));
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; style-src 'unsafe-inline'; form-action 'self'/);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('an omitted redirect_uri is the client’s only registered one (RFC 6749 §3.1.2.3)', async () => {
    const res = await new TestBrowser(fx.origin).get(authorizeUrl({ redirect_uri: undefined, response_type: 'token' }));
    assertRedirectError(res, 'unsupported_response_type');
  });
});

describe('bad requests from a trusted client: an error redirect with state and iss', () => {
  const cases: [string, () => string, string, string?][] = [
    ['response_type token', () => authorizeUrl({ response_type: 'token' }), 'unsupported_response_type'],
    ['no response_type', () => authorizeUrl({ response_type: undefined }), 'invalid_request'],
    ['response_mode fragment', () => authorizeUrl({ response_mode: 'fragment' }), 'invalid_request'],
    ['public client without PKCE', () => authorizeUrl({ code_challenge: undefined, code_challenge_method: undefined }), 'invalid_request'],
    ['PKCE method plain', () => authorizeUrl({ code_challenge_method: 'plain' }), 'invalid_request'],
    ['PKCE method absent (means plain)', () => authorizeUrl({ code_challenge_method: undefined }), 'invalid_request'],
    ['method without challenge', () => authorizeUrl({ code_challenge: undefined }), 'invalid_request'],
    ['challenge of 42 characters', () => authorizeUrl({ code_challenge: challenge.slice(1) }), 'invalid_request'],
    ['challenge with padding', () => authorizeUrl({ code_challenge: `${challenge.slice(1)}=` }), 'invalid_request'],
    ['aud missing', () => authorizeUrl({ aud: undefined }), 'invalid_request'],
    ['aud of another server', () => authorizeUrl({ aud: 'https://other.example/fhir' }), 'invalid_request'],
    ['aud and audience disagree', () => authorizeUrl({}, [['audience', 'https://other.example/fhir']]), 'invalid_request'],
    ['malformed scope', () => authorizeUrl({ scope: 'openid "quoted"' }), 'invalid_scope'],
    ['no scope', () => authorizeUrl({ scope: undefined }), 'invalid_scope'],
    ['no allowed scope', () => authorizeUrl({ scope: 'system/*.rs' }), 'invalid_scope'],
    ['scope twice', () => authorizeUrl({}, [['scope', 'openid']]), 'invalid_request'],
    ['state twice (so no state is echoed)', () => authorizeUrl({}, [['state', 'again']]), 'invalid_request', 'none'],
    ['unknown prompt', () => authorizeUrl({ prompt: 'select_account' }), 'invalid_request'],
    ['prompt none with login', () => authorizeUrl({ prompt: 'none login' }), 'invalid_request'],
    ['a backend-service client', () => authorizeUrl({ client_id: CLIENTS.service.id }), 'unauthorized_client'],
    ['unknown launch', () => authorizeUrl({ launch: 'forged-launch-value', scope: 'launch openid' }), 'invalid_request'],
    ['launch without the launch scope', () => authorizeUrl({ launch: 'anything' }), 'invalid_request'],
    ['a 5000-character state', () => authorizeUrl({ state: 'x'.repeat(5000) }), 'invalid_request', 'x'.repeat(5000)],
    ['a NUL in the nonce (the pending request is jsonb)', () => authorizeUrl({ nonce: 'n\u0000' }), 'invalid_request'],
  ];
  for (const [name, url, error, state] of cases) {
    test(name, async () => {
      assertRedirectError(await new TestBrowser(fx.origin).get(url()), error, state === 'none' ? null : (state ?? 'st-123'));
    });
  }

  test('a confidential client that does not require PKCE may omit it; `audience` stands for aud', async () => {
    const res = await new TestBrowser(fx.origin).get(
      authorizeUrl({ client_id: CLIENTS.confidential.id, code_challenge: undefined, code_challenge_method: undefined, aud: undefined, audience: `${fx.fhirBase}/` }),
    );
    assert.equal(res.status, 303);
    assert.match(res.location ?? '', /^\/oauth2\/authorize\/continue\?request=/);
  });

  test('authorize-post: the same request as a form POST', async () => {
    const browser = new TestBrowser(fx.origin);
    const query = new URLSearchParams(authorizeUrl().split('?')[1]);
    const res = await browser.post('/oauth2/authorize', Object.fromEntries(query));
    assert.equal(res.status, 303);
    assert.match((await browser.follow(res)).text, /Sign in/);
    const bad = await browser.post('/oauth2/authorize', { ...Object.fromEntries(query), code_challenge_method: 'plain' });
    assertRedirectError(bad, 'invalid_request');
  });
});

describe('a patient signs in, unticks a scope and approves', () => {
  test('login errors never say whether the email exists; throttling shows Retry-After', async () => {
    const browser = new TestBrowser(fx.origin);
    const login = await open(browser, authorizeUrl());
    assert.match(login.text, /Growth &lt;Chart&gt;/, 'the client name is escaped');
    const keys = formKeys(login);
    const wrongPassword = await browser.post('/oauth2/authorize/login', { ...keys, email: ACCOUNTS.researcher.email, password: 'nope' });
    const unknownEmail = await browser.post('/oauth2/authorize/login', { ...keys, email: 'nobody@example.org', password: 'nope' });
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownEmail.status, 401);
    const message = (page: PageResponse): string | undefined => /class="error" role="alert">([^<]*)</.exec(page.text)?.[1];
    assert.equal(message(wrongPassword), message(unknownEmail));
    await browser.post('/oauth2/authorize/login', { ...keys, email: ACCOUNTS.researcher.email, password: 'nope' });
    await browser.post('/oauth2/authorize/login', { ...keys, email: ACCOUNTS.researcher.email, password: 'nope' });
    const throttled = await browser.post('/oauth2/authorize/login', { ...keys, email: ACCOUNTS.researcher.email, password: PASSWORD });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '30');
    assert.match(throttled.text, /Try again in 30 seconds/);
    assert.ok(fx.events.some((e) => e.kind === 'login' && e.outcome === 'failure'));
  });

  test('the consent page lists each scope pre-ticked; the grant holds only the ticked ones, never a forged one', async () => {
    const seen = fx.events.length;
    const browser = new TestBrowser(fx.origin);
    const consent = await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.patient.email);
    assert.match(consent.text, /Allow access\?/);
    assert.match(consent.text, / to <strong>your own record<\/strong>/, 'a patient shares their own record, no picker');
    const offered = checkboxes(consent);
    assert.deepEqual(offered, ['openid', 'fhirUser', 'launch/patient', 'patient/*.rs', 'offline_access']);
    assert.match(consent.text, /Read and search all records of the selected patient/);
    assert.match(consent.text, /<ul class="access"><li>Body weight &amp; &lt;height&gt; records<\/li><li>Only records created by this app<\/li><\/ul>/, 'the access filter in human terms, escaped');
    assert.doesNotMatch(consent.text, /confirm again/, 'a first use, not a changed filter');
    // The CSP lets Approve/Deny redirect to the app.
    assert.match(consent.headers.get('content-security-policy') ?? '', /form-action 'self' https:\/\/app\.example;/);

    const ticked = offered.filter((s) => s !== 'offline_access');
    const redirect = await approve(browser, consent, [...ticked, 'user/*.cruds']);
    assert.equal(redirect.searchParams.get('state'), 'st-123');
    const { grant, codeChallenge, redirectUri } = await redeem(redirect.searchParams.get('code') ?? '');
    assert.deepEqual(grant.scopes, ticked);
    assert.equal(grant.accountId, ACCOUNTS.patient.id);
    assert.deepEqual(grant.context, { patient: 'p1', fhirUser: 'Patient/p1' });
    const recorded = await fx.consents.findPair({ kind: 'app', accountId: ACCOUNTS.patient.id, organizationId: undefined, clientId: CLIENTS.app.id });
    assert.deepEqual([recorded?.status, recorded?.patientId, recorded?.filterVersion, recorded?.scopes], ['active', 'p1', 1, ticked], 'Approve records the holder’s consent');
    assert.equal(codeChallenge, challenge);
    assert.equal(redirectUri, APP_REDIRECT);

    const consentEvent = fx.events.find((e) => e.kind === 'consent' && e.grantId === grant.id);
    assert.deepEqual(consentEvent?.detail?.['unticked'], ['offline_access']);
    assert.ok(fx.events.some((e) => e.kind === 'login' && e.outcome === 'success' && e.accountId === ACCOUNTS.patient.id));
    const logins = fx.events.slice(seen).filter((e) => e.kind === 'login');
    assert.deepEqual(logins.map((e) => [e.outcome, e.accountId, e.clientId]), [['success', ACCOUNTS.patient.id, CLIENTS.app.id]], 'one login event, naming the app');
  });

  test('a second login-free request reuses the session; a double-clicked Approve issues one code', async () => {
    const browser = new TestBrowser(fx.origin);
    await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.patient.email);
    const consent = await open(browser, authorizeUrl({ state: 'second' }));
    assert.match(consent.text, /Allow access\?/, 'signed in already: straight to consent');
    await approve(browser, consent, checkboxes(consent));
    const again = await browser.post('/oauth2/authorize/consent', { ...formKeys(consent), decision: 'approve', scope: 'openid' });
    assertErrorPage(again, /already been answered|unknown or has expired/);
  });

  test('unticking everything asks again; Deny sends access_denied', async () => {
    const browser = new TestBrowser(fx.origin);
    // prompt=consent: the approvals above cover this request, which would otherwise skip the page.
    const consent = await signIn(browser, await open(browser, authorizeUrl({ prompt: 'consent' })), ACCOUNTS.patient.email);
    const none = await browser.post('/oauth2/authorize/consent', { ...formKeys(consent), decision: 'approve' });
    assert.equal(none.status, 400);
    assert.match(none.text, /Tick at least one permission/);
    const denied = await browser.post('/oauth2/authorize/consent', { ...formKeys(consent), decision: 'deny' });
    assertRedirectError(denied, 'access_denied');
    assert.ok(fx.events.some((e) => e.kind === 'consent' && e.outcome === 'failure'));
  });

  test('a developer account with no patient record gets access_denied for launch/patient', async () => {
    const browser = new TestBrowser(fx.origin);
    assertRedirectError(await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.developer.email), 'access_denied');
  });
});

describe('patient picker for practitioners (launch/patient without an EHR launch)', () => {
  test('search, a forged choice refused, a listed one taken; fhirUser is the Practitioner', async () => {
    const browser = new TestBrowser(fx.origin);
    const picker = await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.practitioner.email);
    assert.match(picker.text, /Choose a patient/);
    const keys = formKeys(picker);
    const results = await browser.get(`/oauth2/authorize/continue?request=${keys.request}&name=sample`);
    assert.match(results.text, /Bob &lt;Sample&gt;/, 'patient names are escaped');
    assert.doesNotMatch(results.text, /Alice/);

    const forged = await browser.post('/oauth2/authorize/patient', { ...keys, patient: 'p-unknown' });
    assert.equal(forged.status, 400);
    assert.match(forged.text, /Choose a patient from the search results/);
    const skipped = await browser.post('/oauth2/authorize/consent', { ...keys, decision: 'approve', scope: 'openid' });
    assert.equal(skipped.status, 303, 'approving before a patient is chosen goes back to the picker');
    assert.match((await browser.follow(skipped)).text, /Choose a patient/);

    const consent = await browser.follow(await browser.post('/oauth2/authorize/patient', { ...keys, patient: 'p2' }));
    assert.match(consent.text, / to <strong>the record of Bob &lt;Sample&gt;<\/strong>/, 'the chosen patient, named');
    const redirect = await approve(browser, consent, checkboxes(consent));
    const { grant } = await redeem(redirect.searchParams.get('code') ?? '');
    assert.deepEqual(grant.context, { patient: 'p2', fhirUser: 'Practitioner/pr1' });
    const consents = await fx.consents.list({ accountId: ACCOUNTS.practitioner.id });
    assert.deepEqual(
      consents.map((c) => [c.kind, c.clientId, c.patientId]),
      [['app', 'app', undefined]],
      'the practitioner’s consent to the app is recorded; it shares no record of theirs',
    );
  });

  test('the picker’s Cancel denies', async () => {
    const browser = new TestBrowser(fx.origin);
    const picker = await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.practitioner.email);
    assertRedirectError(await browser.post('/oauth2/authorize/consent', { ...formKeys(picker), decision: 'deny' }), 'access_denied');
  });
});

describe('EHR launch', () => {
  async function createLaunch(body: unknown, as: string = ACCOUNTS.practitioner.id): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${fx.origin}/api/launches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  test('POST /api/launches: practitioners only, a patient they can see, a known app', async () => {
    assert.equal((await createLaunch({ patient: 'p1' }, 'nobody')).status, 401);
    assert.equal((await createLaunch({ patient: 'p1' }, ACCOUNTS.patient.id)).status, 403);
    assert.equal((await createLaunch({ patient: 'no such' })).status, 400);
    assert.equal((await createLaunch({ patient: 'p404' })).status, 400);
    assert.equal((await createLaunch({ patient: 'p1', client_id: 'nobody' })).status, 400);
    assert.equal((await createLaunch({ patient: 'p1', smart_style_url: 'javascript:alert(1)' })).status, 400);
    assert.equal((await createLaunch({ patient: 'p1', extra: 1 })).status, 400);
    assert.equal((await createLaunch({ patient: 'p1', intent: 'nul\u0000' })).status, 400, 'a NUL cannot be stored (jsonb)');
    const unbound = await createLaunch({ patient: 'p1' });
    assert.equal(unbound.status, 201);
    assert.equal(unbound.json['launch_url'], undefined, 'no app, no launch URL');
    const created = await createLaunch({ patient: 'p1', client_id: CLIENTS.app.id });
    const launchUrl = new URL(String(created.json['launch_url']));
    assert.equal(`${launchUrl.origin}${launchUrl.pathname}`, 'https://app.example/launch');
    assert.equal(launchUrl.searchParams.get('v'), '1', 'the launch URI keeps its own query');
    assert.equal(launchUrl.searchParams.get('iss'), fx.fhirBase);
    assert.equal(launchUrl.searchParams.get('launch'), created.json['launch']);
  });

  test('a launch gives its context without a picker, once, and only to its app', async () => {
    const { json } = await createLaunch({ patient: 'p3', encounter: 'e1', client_id: CLIENTS.app.id, need_patient_banner: false, intent: 'reconcile-medications' });
    const launch = String(json['launch']);
    const scope = 'launch openid fhirUser patient/*.rs';

    const forOther = await new TestBrowser(fx.origin).get(authorizeUrl({ client_id: CLIENTS.other.id, launch, scope }));
    assertRedirectError(forOther, 'invalid_request');

    const browser = new TestBrowser(fx.origin);
    const consent = await signIn(browser, await open(browser, authorizeUrl({ launch, scope })), ACCOUNTS.practitioner.email);
    assert.match(consent.text, /Carol Example/, 'the EHR patient, no picker');
    const redirect = await approve(browser, consent, checkboxes(consent));
    const { grant } = await redeem(redirect.searchParams.get('code') ?? '');
    assert.deepEqual(grant.context, { patient: 'p3', encounter: 'e1', needPatientBanner: false, intent: 'reconcile-medications', fhirUser: 'Practitioner/pr1' });

    const reused = await browser.get(authorizeUrl({ launch, scope }));
    assertRedirectError(reused, 'invalid_request');
  });

  test('a launch made for one app cannot be redeemed by another even after a failed try', async () => {
    const { json } = await createLaunch({ patient: 'p1', client_id: CLIENTS.app.id });
    const launch = String(json['launch']);
    assertRedirectError(await new TestBrowser(fx.origin).get(authorizeUrl({ client_id: CLIENTS.other.id, launch, scope: 'launch' })), 'invalid_request');
    const ok = await new TestBrowser(fx.origin).get(authorizeUrl({ launch, scope: 'launch patient/*.rs' }));
    assert.equal(ok.status, 303);
    assert.match(ok.location ?? '', /continue/);
  });
});

describe('request binding, CSRF and expiry', () => {
  test('a form without the CSRF token, with another one, or from another browser gets an error page', async () => {
    const browser = new TestBrowser(fx.origin);
    const login = await open(browser, authorizeUrl());
    const keys = formKeys(login);
    const creds = { email: ACCOUNTS.patient.email, password: PASSWORD };
    assertErrorPage(await browser.post('/oauth2/authorize/login', { request: keys.request, ...creds }), /could not be verified/);
    assertErrorPage(await browser.post('/oauth2/authorize/login', { request: keys.request, csrf: `${keys.csrf.slice(1)}A`, ...creds }), /could not be verified/);
    const elsewhere = new TestBrowser(fx.origin);
    assertErrorPage(await elsewhere.post('/oauth2/authorize/login', { ...keys, ...creds }), /could not be verified/);
    assertErrorPage(await elsewhere.get(`/oauth2/authorize/continue?request=${keys.request}`), /another browser/);
    assertErrorPage(await browser.post('/oauth2/authorize/login', { ...keys, ...creds, request: 'x'.repeat(43) }), /unknown or has expired/);
    const notAForm = await browser.send('/oauth2/authorize/login', { method: 'POST', body: JSON.stringify(keys), headers: { 'content-type': 'application/json' } });
    assertErrorPage(notAForm, /Expected a form/);
    assert.match((await browser.post('/oauth2/authorize/login', { ...keys, ...creds })).location ?? '', /continue/, 'the real form still works');
  });

  test('a request id of another shape (a NUL, too long) is unknown, never a server error', async () => {
    const browser = new TestBrowser(fx.origin);
    const keys = formKeys(await open(browser, authorizeUrl()));
    for (const id of ['%00', 'x'.repeat(5000)]) {
      assertErrorPage(await browser.get(`/oauth2/authorize/continue?request=${id}`), /unknown or has expired/);
    }
    assertErrorPage(await browser.post('/oauth2/authorize/login', { ...keys, request: '\u0000' }), /unknown or has expired/);
  });

  test('an expired request cannot be continued', async () => {
    const browser = new TestBrowser(fx.origin);
    const keys = formKeys(await open(browser, authorizeUrl()));
    await fx.sql`update authorization_requests set expires_at = now() - interval '1 second' where id = ${keys.request}`;
    assertErrorPage(await browser.get(`/oauth2/authorize/continue?request=${keys.request}`), /unknown or has expired/);
    assertErrorPage(await browser.post('/oauth2/authorize/login', { ...keys, email: ACCOUNTS.patient.email, password: PASSWORD }), /unknown or has expired/);
  });
});

describe('sessions', () => {
  test('cookies: session HttpOnly, SameSite=Lax, Path=/, 8 h, not Secure over http; the binding cookie under /oauth2', async () => {
    const browser = new TestBrowser(fx.origin);
    const started = await browser.get(authorizeUrl());
    const continued = await browser.get(started.location ?? '');
    const binding = continued.setCookies.find((c) => c.startsWith('fhirkeep_browser='));
    assert.match(binding ?? '', /; Path=\/oauth2; HttpOnly; SameSite=Lax$/);
    const res = await browser.post('/oauth2/authorize/login', { ...formKeys(continued), email: ACCOUNTS.patient.email, password: PASSWORD });
    const session = res.setCookies.find((c) => c.startsWith('fhirkeep_session='));
    assert.match(session ?? '', /^fhirkeep_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/);
    const stored = await fx.sql`select count(*)::int as n from sessions where id_hash = ${sha256(browser.jar.get('fhirkeep_session') ?? '')}`;
    assert.equal(stored[0]?.['n'], 1, 'stored as its SHA-256 only');
  });

  test('prompt=none: login_required without a session, consent_required with one; prompt=login asks again', async () => {
    const browser = new TestBrowser(fx.origin);
    assertRedirectError(await browser.follow(await browser.get(authorizeUrl({ prompt: 'none' }))), 'login_required');
    await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.patient.email);
    // An app the patient never approved (approving the demo app above lets prompt=none succeed for it).
    assertRedirectError(await browser.follow(await browser.get(authorizeUrl({ prompt: 'none', client_id: CLIENTS.other.id }))), 'consent_required');
    const before = browser.jar.get('fhirkeep_session');
    const login = await open(browser, authorizeUrl({ prompt: 'login consent' }));
    assert.match(login.text, /Sign in/);
    const consent = await signIn(browser, login, ACCOUNTS.patient.email);
    assert.match(consent.text, /Allow access\?/);
    assert.notEqual(browser.jar.get('fhirkeep_session'), before, 'a login makes a new session');
    assert.equal(await fx.deps.sessions.sessionAccount(`fhirkeep_session=${before ?? ''}`), undefined, 'and ends the old one');
  });

  test('sessionAccount resolves the cookie; /oauth2/logout ends the session', async () => {
    const browser = new TestBrowser(fx.origin);
    await signIn(browser, await open(browser, authorizeUrl()), ACCOUNTS.patient.email);
    const cookie = browser.cookieHeader();
    assert.equal((await fx.deps.sessions.sessionAccount(cookie))?.id, ACCOUNTS.patient.id);
    assert.equal(await fx.deps.sessions.sessionAccount('fhirkeep_session=forged'), undefined);
    const out = await browser.post('/oauth2/logout', {});
    assert.equal(out.status, 200);
    assert.match(out.setCookies.join('\n'), /fhirkeep_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0/);
    assert.equal(await fx.deps.sessions.sessionAccount(cookie), undefined);
    assert.match((await open(browser, authorizeUrl())).text, /Sign in/);
  });
});

test('over https the cookies are Secure', async () => {
  const secure = await startAuthorizeFixture({ fhirBase: 'https://fhir.example/fhir' });
  try {
    const browser = new TestBrowser(secure.origin);
    const started = await browser.get(authorizeUrl({ aud: 'https://fhir.example/fhir' }));
    const page = await browser.get(started.location ?? '');
    assert.match(page.setCookies.join(''), /fhirkeep_browser=.*; Secure$/);
    const res = await browser.post('/oauth2/authorize/login', { ...formKeys(page), email: ACCOUNTS.patient.email, password: PASSWORD });
    assert.match(res.setCookies.find((c) => c.startsWith('fhirkeep_session=')) ?? '', /; Secure$/);
  } finally {
    await secure.close();
  }
});

test('a HEAD (a link previewer) stores no request', async () => {
  const before = await fx.sql`select count(*)::int as n from authorization_requests`;
  const res = await fetch(`${fx.origin}${authorizeUrl()}`, { method: 'HEAD', redirect: 'manual' });
  assert.equal(res.status, 404);
  const after = await fx.sql`select count(*)::int as n from authorization_requests`;
  assert.equal(after[0]?.['n'], before[0]?.['n']);
});
