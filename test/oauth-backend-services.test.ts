import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { parseConfig } from '../src/config/load.js';
import { createFhirkeep } from '../src/server.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './support/fhirkeep-server.js';
import { httpClient } from './support/http.js';

/**
 * SMART Backend Services and the token-endpoint family of RFCs, driven by openid-client (a
 * certified OAuth client) against a running Fhirkeep; the malformed requests it would never
 * send are hand-rolled.
 */
let server: TestServer;
let secretClient: { id: string; secret: string };
let narrowClient: { id: string; secret: string };
const jwtClients: Record<'RS384' | 'ES384', { id: string; key: CryptoKey; kid: string }> = {} as never;

before(async () => {
  server = await startTestServer();
  const { clients } = server.fhirkeep.auth;
  const made = await clients.register({ type: 'service', name: 'backend', scopes: ['system/*.rs', 'system/Patient.cruds'] });
  secretClient = { id: made.client.id, secret: made.secret ?? '' };
  const narrow = await clients.register({ type: 'service', name: 'patients only', scopes: ['system/Patient.rs'] });
  narrowClient = { id: narrow.client.id, secret: narrow.secret ?? '' };
  for (const alg of ['RS384', 'ES384'] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg}-key`;
    const jwk = { ...(await exportJWK(publicKey)), kid, alg };
    const registered = await clients.register({ type: 'service', name: `jwt ${alg}`, scopes: ['system/*.rs'], jwks: { keys: [jwk] } });
    jwtClients[alg] = { id: registered.client.id, key: privateKey, kid };
  }
  // The institution's own backends: they reach every record (docs/access.md), not only consented ones.
  for (const c of await clients.list()) await institutional(c.id);
  const fhir = httpClient(server.fhirBase);
  // Seeding needs a token with write scope, like any client.
  const token = await secretToken(secretClient, 'system/Patient.cruds');
  const created = await fhir('PUT', '/Patient/p1', { body: { resourceType: 'Patient', id: 'p1' }, headers: { authorization: `Bearer ${token}` } });
  assert.equal(created.status, 201, created.text);
});
after(() => server.close());

const institutional = (id: string) => server.fhirkeep.auth.accessFilters.setAccessFilter(id, { filter: null, reach: 'all' });

const insecure = { execute: [oidc.allowInsecureRequests] };
const tokenUrl = () => `${server.baseUrl}/oauth2/token`;

async function configFor(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.baseUrl), clientId, undefined, auth, insecure);
}

async function secretToken(client: { id: string; secret: string }, scope: string): Promise<string> {
  const config = await configFor(client.id, oidc.ClientSecretBasic(client.secret));
  return (await oidc.clientCredentialsGrant(config, { scope })).access_token;
}

async function form(path: string, body: Record<string, string> | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function fhirGet(path: string, token: string | undefined) {
  const res = await fetch(`${server.fhirBase}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

test('discovery: SMART configuration, OpenID and RFC 8414 metadata, CapabilityStatement security', async () => {
  const smart = (await (await fetch(`${server.fhirBase}/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
  assert.equal(smart.token_endpoint, tokenUrl());
  assert.deepEqual(smart.code_challenge_methods_supported, ['S256']);
  for (const c of ['permission-v1', 'permission-v2', 'client-confidential-asymmetric', 'launch-ehr', 'launch-standalone']) {
    assert.ok((smart.capabilities as string[]).includes(c), c);
  }
  const oidcConfig = (await (await fetch(`${server.baseUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.equal(oidcConfig.issuer, server.baseUrl);
  const rfc8414 = await fetch(`${server.baseUrl}/.well-known/oauth-authorization-server`);
  assert.equal(rfc8414.status, 200);
  const jwks = (await (await fetch(`${server.baseUrl}/oauth2/jwks`)).json()) as { keys: { kid: string; alg: string; d?: string }[] };
  assert.deepEqual(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  assert.ok(jwks.keys.every((k) => k.d === undefined), 'no private key material is published');
  const metadata = (await (await fetch(`${server.fhirBase}/metadata`)).json()) as { rest: { security: { extension: { extension: { url: string; valueUri: string }[] }[] } }[] };
  const uris = Object.fromEntries(metadata.rest[0]!.security.extension[0]!.extension.map((e) => [e.url, e.valueUri]));
  assert.equal(uris.token, tokenUrl());
});

test('client_credentials with client_secret_basic and client_secret_post (openid-client)', async () => {
  for (const auth of [oidc.ClientSecretBasic(secretClient.secret), oidc.ClientSecretPost(secretClient.secret)]) {
    const config = await configFor(secretClient.id, auth);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'system/Patient.rs' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'system/Patient.rs');
    assert.ok((tokens.expires_in ?? 0) > 0 && (tokens.expires_in ?? 0) <= 3600);
    assert.equal(tokens.refresh_token, undefined, 'client credentials get no refresh token (RFC 6749 §4.4.3)');
    const read = await fhirGet('/Patient/p1', tokens.access_token);
    assert.equal(read.status, 200);
  }
  const raw = await form('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(secretClient.id, secretClient.secret) });
  assert.equal(raw.status, 200);
  assert.equal(raw.headers.get('cache-control'), 'no-store');
  assert.equal(raw.headers.get('pragma'), 'no-cache');
  assert.equal(raw.json?.scope, 'system/*.rs system/Patient.cruds', 'no scope parameter: the registered scopes');
});

test('private_key_jwt with RS384 and ES384 (openid-client), aud the issuer or the token URL', async () => {
  for (const alg of ['RS384', 'ES384'] as const) {
    const { id, key, kid } = jwtClients[alg];
    const config = await configFor(id, oidc.PrivateKeyJwt({ key, kid }));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'system/Observation.rs' });
    assert.equal(tokens.scope, 'system/Observation.rs');
    assert.equal((await fhirGet('/Observation', tokens.access_token)).status, 200);
    // SMART Backend Services: aud = the token endpoint URL.
    const smartStyle = await configFor(id, oidc.PrivateKeyJwt({ key, kid }, { [oidc.modifyAssertion]: (_h, payload) => void (payload.aud = tokenUrl()) }));
    assert.ok((await oidc.clientCredentialsGrant(smartStyle, { scope: 'system/Observation.rs' })).access_token);
  }
});

/** A client assertion as a careless or hostile client would make it. */
async function assertion(options: { alg?: string; key?: CryptoKey; kid?: string; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {}): Promise<string> {
  const client = jwtClients.ES384;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: client.id, sub: client.id, aud: tokenUrl(), exp: now + 240, jti: crypto.randomUUID(), ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'ES384', kid: options.kid ?? client.kid, ...options.header })
    .sign(options.key ?? client.key);
}

async function assertionRequest(jwt: string) {
  return form('/oauth2/token', {
    grant_type: 'client_credentials',
    scope: 'system/Observation.rs',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: jwt,
  });
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', kid: jwtClients.ES384.kid })}.${part(claims)}.`;
}

test('bad client assertions are invalid_client (401)', async () => {
  const now = Math.floor(Date.now() / 1000);
  const { id } = jwtClients.ES384;
  const hmacKey = new TextEncoder().encode('x'.repeat(48)) as unknown as CryptoKey;
  const other = await generateKeyPair('ES384');
  const rsa = await generateKeyPair('RS256');
  const cases: [string, Promise<string> | string][] = [
    ['alg none', unsignedJwt({ iss: id, sub: id, aud: tokenUrl(), exp: now + 60, jti: crypto.randomUUID() })],
    ['HS256', assertion({ alg: 'HS256', key: hmacKey })],
    ['RS256', assertion({ alg: 'RS256', key: rsa.privateKey })],
    ['wrong aud', assertion({ claims: { aud: 'https://elsewhere.example/token' } })],
    ['wrong iss', assertion({ claims: { iss: 'someone-else' } })],
    ['wrong sub', assertion({ claims: { sub: 'someone-else' } })],
    ['expired', assertion({ claims: { exp: now - 120 } })],
    ['exp too far ahead', assertion({ claims: { exp: now + 3600 } })],
    ['no jti', assertion({ claims: { jti: undefined } })],
    ['unknown kid', assertion({ kid: 'nope' })],
    ['signed by another key', assertion({ key: other.privateKey })],
    ['forged jku', assertion({ header: { jku: 'https://attacker.example/jwks.json' } })],
  ];
  for (const [name, jwt] of cases) {
    const res = await assertionRequest(await jwt);
    assert.equal(res.status, 401, name);
    assert.equal(res.json?.error, 'invalid_client', name);
  }
  const once = await assertion();
  assert.equal((await assertionRequest(once)).status, 200);
  const replay = await assertionRequest(once);
  assert.equal(replay.status, 401, 'a jti is never accepted twice');
});

test('token endpoint errors follow RFC 6749 §5.2', async () => {
  const auth = { authorization: basic(secretClient.id, secretClient.secret) };
  const cases: [string, Promise<Awaited<ReturnType<typeof form>>>, number, string][] = [
    ['unsupported grant', form('/oauth2/token', { grant_type: 'password', username: 'a', password: 'b' }, auth), 400, 'unsupported_grant_type'],
    ['no grant_type', form('/oauth2/token', { scope: 'system/*.rs' }, auth), 400, 'invalid_request'],
    ['implicit token', form('/oauth2/token', { grant_type: 'token' }, auth), 400, 'unsupported_grant_type'],
    ['wrong secret', form('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(secretClient.id, 'wrong') }), 401, 'invalid_client'],
    ['unknown client', form('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic('nobody', 'x') }), 401, 'invalid_client'],
    [
      'credentials in two places',
      form('/oauth2/token', { grant_type: 'client_credentials', client_id: secretClient.id, client_secret: secretClient.secret }, auth),
      400,
      'invalid_request',
    ],
    ['scope wider than registered', form('/oauth2/token', { grant_type: 'client_credentials', scope: 'system/Patient.rs' }, { authorization: basic(narrowClient.id, narrowClient.secret) }).then(async () => form('/oauth2/token', { grant_type: 'client_credentials', scope: 'system/Observation.rs' }, { authorization: basic(narrowClient.id, narrowClient.secret) })), 400, 'invalid_scope'],
    ['malformed scope', form('/oauth2/token', { grant_type: 'client_credentials', scope: 'system/Patient.rx' }, auth), 400, 'invalid_scope'],
    ['duplicate parameter', form('/oauth2/token', 'grant_type=client_credentials&scope=system/Patient.rs&scope=system/*.rs', auth), 400, 'invalid_request'],
    ['bogus code', form('/oauth2/token', { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'http://localhost/cb' }, auth), 400, 'invalid_grant'],
    ['bogus refresh token', form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: 'abc.def' }, auth), 400, 'invalid_grant'],
  ];
  for (const [name, pending, status, error] of cases) {
    const res = await pending;
    assert.equal(res.status, status, name);
    assert.equal(res.json?.error, error, name);
    assert.equal(typeof res.json?.error_description, 'string', name);
    assert.equal(res.headers.get('cache-control'), 'no-store', name);
  }
  const wrong = await form('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(secretClient.id, 'wrong') });
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/, 'RFC 6749 §5.2: a failed Basic login is challenged');
  const json = await fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
  assert.equal(json.status, 400);
  assert.equal(((await json.json()) as { error: string }).error, 'invalid_request', 'a JSON body is not a form');
});

test('introspection: own tokens active with their claims, everything else exactly {"active": false}', async () => {
  const config = await configFor(secretClient.id, oidc.ClientSecretBasic(secretClient.secret));
  const { access_token } = await oidc.clientCredentialsGrant(config, { scope: 'system/Patient.rs' });
  const info = await oidc.tokenIntrospection(config, access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, secretClient.id);
  assert.equal(info.scope, 'system/Patient.rs');
  const narrowConfig = await configFor(narrowClient.id, oidc.ClientSecretBasic(narrowClient.secret));
  for (const token of ['garbage', `${access_token.slice(0, -4)}AAAA`, 'abc.def']) {
    const res = await form('/oauth2/introspect', { token }, { authorization: basic(secretClient.id, secretClient.secret) });
    assert.deepEqual(res.json, { active: false }, token);
  }
  assert.deepEqual(await oidc.tokenIntrospection(narrowConfig, access_token), { active: false }, "another client's token");
  const anonymous = await form('/oauth2/introspect', { token: access_token });
  assert.equal(anonymous.status, 401, 'callers of introspection authenticate');
});

test('revocation (RFC 7009) takes effect on the next request', async () => {
  const config = await configFor(secretClient.id, oidc.ClientSecretBasic(secretClient.secret));
  const { access_token } = await oidc.clientCredentialsGrant(config, { scope: 'system/Patient.rs' });
  assert.equal((await fhirGet('/Patient/p1', access_token)).status, 200);
  const narrowConfig = await configFor(narrowClient.id, oidc.ClientSecretBasic(narrowClient.secret));
  await assert.rejects(oidc.tokenRevocation(narrowConfig, access_token), 'another client may not revoke it');
  await oidc.tokenRevocation(config, access_token);
  const after = await fhirGet('/Patient/p1', access_token);
  assert.equal(after.status, 401);
  assert.match(after.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  assert.deepEqual(await oidc.tokenIntrospection(config, access_token), { active: false });
  await oidc.tokenRevocation(config, 'not-a-token');
});

test('revocation on one node takes effect on another (LISTEN/NOTIFY); a revoked client loses its live tokens', async () => {
  const second = await createFhirkeep(parseConfig({ FHIRKEEP_PORT: '0', FHIRKEEP_DATABASE_URL: server.databaseUrl, ...TEST_NODE_SETTINGS }), { logger: pino({ level: 'silent' }) });
  try {
    const secondBase = await second.listen();
    const onSecond = (token: string) => fetch(`${secondBase}/fhir/Patient/p1`, { headers: { authorization: `Bearer ${token}` } });
    // Both nodes share the signing keys and the issuer configuration, so tokens verify on both.
    const config = await configFor(secretClient.id, oidc.ClientSecretBasic(secretClient.secret));
    const { access_token } = await oidc.clientCredentialsGrant(config, { scope: 'system/Patient.rs' });
    assert.equal((await onSecond(access_token)).status, 401, 'another base URL is another audience');
    const token = await second.auth.accessTokens.issue({ sub: secretClient.id, client_id: secretClient.id, scope: 'system/Patient.rs', gid: crypto.randomUUID() });
    assert.equal((await onSecond(token.token)).status, 200);
    await server.fhirkeep.auth.grantStore.revokeGrant({ id: token.claims.gid, clientId: secretClient.id, expiresAt: new Date(token.claims.exp * 1000) });
    let status = 200;
    for (let i = 0; i < 50 && status === 200; i++) {
      status = (await onSecond(token.token)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 401, 'the other node learns of the revocation within a second');

    const doomed = await server.fhirkeep.auth.clients.register({ type: 'service', name: 'doomed', scopes: ['system/Patient.rs'] });
    await institutional(doomed.client.id);
    const doomedToken = await secretToken({ id: doomed.client.id, secret: doomed.secret ?? '' }, 'system/Patient.rs');
    assert.equal((await fhirGet('/Patient/p1', doomedToken)).status, 200);
    await server.fhirkeep.auth.clients.revoke(doomed.client.id);
    assert.equal((await fhirGet('/Patient/p1', doomedToken)).status, 401, 'a revoked client loses its live tokens at once');
  } finally {
    await second.close();
  }
});

test('the FHIR API: 401 without or with a bad token, 403 for a type outside the scopes', async () => {
  const none = await fhirGet('/Patient/p1', undefined);
  assert.equal(none.status, 401);
  assert.equal(none.json.resourceType, 'OperationOutcome');
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="fhirkeep"');
  const garbage = await fhirGet('/Patient/p1', 'garbage');
  assert.equal(garbage.status, 401);
  // Signed with a key this server does not have.
  const { privateKey } = await generateKeyPair('ES256');
  const forged = await new SignJWT({ client_id: secretClient.id, scope: 'system/*.rs', gid: crypto.randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'forged', typ: 'at+jwt' })
    .setIssuer(server.baseUrl).setAudience(server.fhirBase).setSubject(secretClient.id).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m')
    .sign(privateKey);
  assert.equal((await fhirGet('/Patient/p1', forged)).status, 401);
  // Signed by this server, but for another audience.
  const issued = await server.fhirkeep.auth.accessTokens.issue({ sub: secretClient.id, client_id: secretClient.id, scope: 'system/*.rs', gid: crypto.randomUUID() });
  assert.equal((await fhirGet('/Patient/p1', issued.token)).status, 200);
  const { kid, key } = server.fhirkeep.auth.keys.signer('ES256');
  const otherAudience = await new SignJWT({ ...issued.claims, aud: 'https://other.example/fhir' }).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
  assert.equal((await fhirGet('/Patient/p1', otherAudience)).status, 401, 'a token for another audience');
  const expired = await new SignJWT({ ...issued.claims, exp: Math.floor(Date.now() / 1000) - 5 }).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(key);
  const expiredRes = await fhirGet('/Patient/p1', expired);
  assert.equal(expiredRes.status, 401);
  assert.match(expiredRes.headers.get('www-authenticate') ?? '', /expired/);

  const patientsOnly = await secretToken(narrowClient, 'system/Patient.rs');
  assert.equal((await fhirGet('/Patient/p1', patientsOnly)).status, 200);
  const observations = await fhirGet('/Observation', patientsOnly);
  assert.equal(observations.status, 403, 'a type outside the scopes is 403, not an empty Bundle');
  assert.equal(observations.json.resourceType, 'OperationOutcome');
  const write = await fetch(`${server.fhirBase}/Patient/p1`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${patientsOnly}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', id: 'p1' }),
  });
  assert.equal(write.status, 403, 'read scopes do not allow writes');
});

test('CORS: browser apps may call the FHIR API, the token endpoint and discovery', async () => {
  const preflight = await fetch(`${server.fhirBase}/Patient`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.ok(preflight.status === 204 || preflight.status === 200);
  assert.ok(['*', 'https://app.example'].includes(preflight.headers.get('access-control-allow-origin') ?? ''));
  const token = await fetch(tokenUrl(), { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
  assert.ok(token.headers.get('access-control-allow-origin'));
  const discovery = await fetch(`${server.fhirBase}/.well-known/smart-configuration`, { headers: { origin: 'https://app.example' } });
  assert.ok(discovery.headers.get('access-control-allow-origin'));
});
