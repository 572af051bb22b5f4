import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { inputValue, TestBrowser, type PageResponse } from './browser.js';

export const APP_REDIRECT = 'https://app.example/callback';

/**
 * A user's access token for a public SMART app through the real authorization-code flow, driven
 * by openid-client: sign in, approve every offered scope on the consent page (skipped when a
 * recorded consent covers the request; `onConsent` sees it), redeem the code with PKCE.
 */
export async function signIn(
  baseUrl: string,
  clientId: string,
  user: { email: string; password: string },
  scope: string,
  /** Sees the consent page when it is shown (a test asserts it shows, or what it says). */
  onConsent?: (page: PageResponse) => void,
): Promise<oidc.TokenEndpointResponse> {
  const config = await oidc.discovery(new URL(baseUrl), clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: APP_REDIRECT, scope, aud: `${baseUrl}/fhir`, state, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const browser = new TestBrowser(baseUrl);
  let page = await browser.follow(await browser.get(url.href));
  page = await browser.follow(await browser.post('/oauth2/authorize/login', { ...keys(page), ...user }));
  if (page.location === undefined) {
    assert.match(page.text, /Allow access\?/);
    onConsent?.(page);
    const offered = [...page.text.matchAll(/name="scope" id="s\d+" value="([^"]+)"/g)].map((m) => m[1] ?? '');
    page = await browser.post('/oauth2/authorize/consent', { ...keys(page), decision: 'approve', scope: offered });
  }
  const callback = page.location ?? '';
  assert.ok(callback.startsWith(APP_REDIRECT), `no redirect to the app: ${page.status} ${page.text.slice(0, 300)}`);
  return oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
}

/**
 * A portal session cookie (`fhirkeep_session=…`), got as a person gets one: signing in on the
 * login page of an authorization request. `clientId` is any public SMART app that may redirect to
 * APP_REDIRECT; the request is left at the page after the login.
 */
export async function portalSession(baseUrl: string, clientId: string, user: { email: string; password: string }): Promise<string> {
  const browser = new TestBrowser(baseUrl);
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: APP_REDIRECT,
    scope: 'openid',
    state: 's',
    aud: `${baseUrl}/fhir`,
    // Never redeemed: any well-formed challenge does.
    code_challenge: randomBytes(32).toString('base64url'),
    code_challenge_method: 'S256',
  });
  const login = await browser.follow(await browser.get(`/oauth2/authorize?${params}`));
  const signedIn = await browser.post('/oauth2/authorize/login', { ...keys(login), ...user });
  const session = browser.jar.get('fhirkeep_session');
  assert.ok(session, `no session after signing in: ${signedIn.status} ${signedIn.text.slice(0, 300)}`);
  return `fhirkeep_session=${session}`;
}

function keys(page: PageResponse) {
  return { request: inputValue(page.text, 'request') ?? '', csrf: inputValue(page.text, 'csrf') ?? '' };
}

/** A portal session cookie (`fhirkeep_session=…`) from the portal's own sign-in form at `origin`. */
export async function portalSignIn(origin: string, user: { email: string; password: string }): Promise<string> {
  const browser = new TestBrowser(origin);
  const form = await browser.get('/portal/sign-in');
  const signedIn = await browser.post('/portal/sign-in', { email: user.email, password: user.password, next: '/portal', csrf: inputValue(form.text, 'csrf') ?? '' });
  const session = browser.jar.get('fhirkeep_session');
  assert.ok(session, `no session after signing in: ${signedIn.status} ${signedIn.text.slice(0, 300)}`);
  return `fhirkeep_session=${session}`;
}
