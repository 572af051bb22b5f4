import assert from 'node:assert/strict';
import { OAuthParams } from '../oauth/oauth-form.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { createAssertionJtiStore, createClientStore } from '../../storage/auth/client-store.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createClientAuthenticator, JWT_BEARER_ASSERTION, type AuthenticateClient } from './client-authentication.js';
import { createClientRegistry, type ClientRegistry } from './client-registry.js';
import { createJwksCache } from './jwks-cache.js';

const TOKEN_URL = 'https://fhirkeep.example/oauth2/token';
const ISSUER = 'https://fhirkeep.example';

let testDb: TestDatabase;
let registry: ClientRegistry;
let authenticate: AuthenticateClient;
let jwksServer: Server;
let jwksBase: string;
/** What the local JWK Set host serves and how often it was asked, per path. */
const published = new Map<string, { keys: JWK[]; cacheControl: string | undefined; hits: number }>();

interface KeyPair {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}
const keyPair = async (alg: 'RS384' | 'ES384' | 'RS256', kid?: string): Promise<KeyPair> => {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), ...(kid === undefined ? {} : { kid }) } };
};
let rs: KeyPair;
let ec: KeyPair;
let other: KeyPair;

const secretClient = { id: '', secret: '' };
let publicClientId: string;
let twoKeysClientId: string;
let oneKeyClientId: string;

before(async () => {
  testDb = await createTestDatabase();
  jwksServer = createServer((req, res) => {
    const entry = published.get(req.url ?? '');
    if (entry === undefined) return void res.writeHead(404).end();
    entry.hits++;
    res.writeHead(200, { 'content-type': 'application/json', ...(entry.cacheControl === undefined ? {} : { 'cache-control': entry.cacheControl }) });
    res.end(JSON.stringify({ keys: entry.keys }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;

  registry = await createClientRegistry({ store: createClientStore(testDb.db.sql), recordEvent: () => {} });
  authenticate = createClientAuthenticator({
    lookup: (id) => registry.lookup(id),
    jtis: createAssertionJtiStore(testDb.db.sql),
    // No refetch throttle here; jwks-cache.test.ts covers it.
    jwksCache: createJwksCache({ minRefetchMs: 0 }),
  });
  [rs, ec, other] = await Promise.all([keyPair('RS384', 'rs1'), keyPair('ES384', 'ec1'), keyPair('RS384', 'rs1')]);

  const s = await registry.register({ type: 'service', name: 'secret service' });
  Object.assign(secretClient, { id: s.client.id, secret: s.secret });
  publicClientId = (await registry.register({ type: 'smart', name: 'public app', isPublic: true, redirectUris: ['http://localhost:3000/cb'] })).client.id;
  twoKeysClientId = (await registry.register({ type: 'service', name: 'two keys', jwks: { keys: [rs.jwk, ec.jwk] } })).client.id;
  const { kid: _kid, ...noKid } = ec.jwk;
  oneKeyClientId = (await registry.register({ type: 'research', name: 'one key', jwks: { keys: [noKid] } })).client.id;
});
after(async () => {
  await registry.close();
  await new Promise((resolve) => jwksServer.close(resolve));
  await testDb.drop();
});

const form = (fields: Record<string, string>) => OAuthParams.of(new URLSearchParams(fields));
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const auth = (fields: Record<string, string>, authorization?: string) =>
  authenticate({ authorization, form: form(fields), audiences: [TOKEN_URL, ISSUER] });

/** Expects a FhirkeepError with this code and message; returns it for header checks. */
async function refused(attempt: Promise<unknown>, code: 'invalid-client' | 'invalid-request', message: RegExp): Promise<FhirkeepError> {
  const error = await attempt.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FhirkeepError, String(error));
  assert.equal(error.code, code, error.message);
  assert.match(error.message, message);
  return error;
}

interface AssertionOptions {
  readonly alg?: string;
  readonly kid?: string | null;
  readonly jku?: string;
  readonly claims?: JWTPayload;
  readonly omit?: readonly string[];
}
/** A client assertion as a SMART backend service makes one; options make it wrong in one way. */
async function assertion(clientId: string, key: KeyPair, options: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { iss: clientId, sub: clientId, aud: TOKEN_URL, exp: now + 240, jti: randomUUID(), ...options.claims };
  for (const name of options.omit ?? []) delete claims[name];
  const kid = options.kid === null ? undefined : (options.kid ?? key.jwk.kid);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? (key.jwk.kty === 'EC' ? 'ES384' : 'RS384'), ...(kid === undefined ? {} : { kid }), ...(options.jku === undefined ? {} : { jku: options.jku }) })
    .sign(key.privateKey);
}
const jwtForm = (token: string, extra: Record<string, string> = {}) => ({ client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: token, ...extra });
const withJwt = (token: string, extra?: Record<string, string>) => auth(jwtForm(token, extra));

test('client_secret_basic, client_secret_post and none (public) authenticate', async () => {
  const viaBasic = await auth({ grant_type: 'client_credentials' }, basic(secretClient.id, secretClient.secret));
  assert.deepEqual([viaBasic.client.id, viaBasic.method], [secretClient.id, 'client_secret_basic']);
  const viaBasicWithId = await auth({ client_id: secretClient.id }, basic(secretClient.id, secretClient.secret));
  assert.equal(viaBasicWithId.method, 'client_secret_basic', 'the same client_id in the body is fine');
  const viaPost = await auth({ client_id: secretClient.id, client_secret: secretClient.secret });
  assert.deepEqual([viaPost.client.id, viaPost.method], [secretClient.id, 'client_secret_post']);
  const viaNone = await auth({ client_id: publicClientId });
  assert.deepEqual([viaNone.client.id, viaNone.method], [publicClientId, 'none']);
});

test('Basic credentials are form-urldecoded (RFC 6749 §2.3.1); the scheme name is case-insensitive', async () => {
  const percentAll = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  const header = `bAsIc ${Buffer.from(`${percentAll(secretClient.id)}:${percentAll(secretClient.secret)}`).toString('base64')}`;
  assert.equal((await auth({}, header)).client.id, secretClient.id);
  // '+' is a space in form encoding, so a secret with a literal '+' must be sent as %2B.
  await refused(auth({}, `Basic ${Buffer.from(`${secretClient.id}:${secretClient.secret}+`).toString('base64')}`), 'invalid-client', /Wrong client secret/);
  const bad = await refused(auth({}, `Basic ${Buffer.from(`${secretClient.id}:%zz`).toString('base64')}`), 'invalid-client', /not form-urlencoded/);
  assert.equal(bad.headers['WWW-Authenticate'], 'Basic realm="fhirkeep"');
  await refused(auth({}, 'Basic !!!not-base64'), 'invalid-client', /Malformed Basic/);
  await refused(auth({}, `Basic ${Buffer.from('no-colon').toString('base64')}`), 'invalid-client', /Malformed Basic/);
  // A bearer token is not client authentication: this request carries none.
  await refused(auth({}, 'Bearer abc'), 'invalid-client', /No client authentication/);
});

test('unknown client, wrong secret and revoked client are invalid_client; Basic failures carry the challenge', async () => {
  const unknown = await refused(auth({}, basic('nobody', 'x')), 'invalid-client', /Unknown or revoked client/);
  assert.equal(unknown.status, 401);
  assert.equal(unknown.headers['WWW-Authenticate'], 'Basic realm="fhirkeep"');
  const wrong = await refused(auth({}, basic(secretClient.id, `${secretClient.secret}x`)), 'invalid-client', /Wrong client secret/);
  assert.equal(wrong.headers['WWW-Authenticate'], 'Basic realm="fhirkeep"');
  const wrongPost = await refused(auth({ client_id: secretClient.id, client_secret: 'nope' }), 'invalid-client', /Wrong client secret/);
  assert.equal(wrongPost.headers['WWW-Authenticate'], undefined, 'no challenge when Basic was not used');
  await refused(auth({ client_id: 'nobody' }), 'invalid-client', /Unknown or revoked/);

  const doomed = await registry.register({ type: 'broker', name: 'revoked soon' });
  await registry.revoke(doomed.client.id);
  await refused(auth({}, basic(doomed.client.id, doomed.secret ?? '')), 'invalid-client', /Unknown or revoked client/);
});

test('one method per request; a body client_id must agree; parameters appear once', async () => {
  await refused(auth({ client_secret: secretClient.secret }, basic(secretClient.id, secretClient.secret)), 'invalid-request', /more than one place/);
  const token = await assertion(twoKeysClientId, rs);
  await refused(withJwt(token, { client_id: twoKeysClientId, client_secret: 'x' }), 'invalid-request', /more than one place/);
  await refused(auth(jwtForm(token), basic(secretClient.id, secretClient.secret)), 'invalid-request', /more than one place/);
  await refused(auth({ client_id: publicClientId }, basic(secretClient.id, secretClient.secret)), 'invalid-request', /differs from the Basic/);
  await refused(withJwt(token, { client_id: secretClient.id }), 'invalid-request', /differs from the client assertion's sub/);
  const twice = new URLSearchParams([['client_id', publicClientId], ['client_id', publicClientId]]);
  // Parameters given twice never reach client authentication (OAuthParams refuses them, RFC 6749 §3.2).
  await refused(Promise.resolve().then(() => authenticate({ authorization: undefined, form: OAuthParams.of(twice), audiences: [TOKEN_URL, ISSUER] })), 'invalid-request', /more than once/);
  await refused(auth({ client_secret: secretClient.secret }), 'invalid-request', /client_secret without client_id/);
});

test('a method must fit the client: confidential clients authenticate, public ones have no secret', async () => {
  await refused(auth({}), 'invalid-client', /No client authentication/);
  await refused(auth({ client_id: secretClient.id }), 'invalid-client', /confidential and must authenticate/);
  await refused(auth({ client_id: publicClientId, client_secret: 'x' }), 'invalid-client', /public client has no secret/);
  await refused(auth({ client_id: twoKeysClientId, client_secret: 'x' }), 'invalid-client', /private_key_jwt, not a secret/);
  const token = await assertion(secretClient.id, rs);
  await refused(withJwt(token), 'invalid-client', /no registered keys/);
});

test('private_key_jwt with RS384 and ES384 (RFC 7523, SMART Backend Services)', async () => {
  const viaRs = await withJwt(await assertion(twoKeysClientId, rs));
  assert.deepEqual([viaRs.client.id, viaRs.method], [twoKeysClientId, 'private_key_jwt']);
  assert.equal((await withJwt(await assertion(twoKeysClientId, ec))).client.id, twoKeysClientId);
  // One key: kid may be left out. aud may be an array containing the token endpoint (RFC 7519 §4.1.3).
  assert.equal((await withJwt(await assertion(oneKeyClientId, ec, { kid: null, claims: { aud: ['https://other.example', TOKEN_URL] } }))).client.id, oneKeyClientId);
  assert.equal((await withJwt(await assertion(twoKeysClientId, rs), { client_id: twoKeysClientId })).method, 'private_key_jwt');
});

test('assertion type and shape', async () => {
  const token = await assertion(twoKeysClientId, rs);
  await refused(auth({ client_assertion: token }), 'invalid-request', /go together/);
  await refused(auth({ client_assertion_type: JWT_BEARER_ASSERTION }), 'invalid-request', /go together/);
  await refused(auth({ client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: token }), 'invalid-client', /Unsupported client_assertion_type/);
  await refused(withJwt('not.a.jwt'), 'invalid-client', /not a signed JWT/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { omit: ['sub'] })), 'invalid-client', /no sub/);
});

test('only RS384 and ES384: alg none, HS256 and RS256 are refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: twoKeysClientId, sub: twoKeysClientId, aud: TOKEN_URL, exp: now + 60, jti: randomUUID() };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  await refused(withJwt(`${b64({ alg: 'none', kid: 'rs1' })}.${b64(claims)}.`), 'invalid-client', /algorithm "none" is not allowed/);
  const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'rs1' }).sign(new TextEncoder().encode('a shared secret of enough length'));
  await refused(withJwt(hs), 'invalid-client', /algorithm "HS256" is not allowed/);
  const rs256 = await keyPair('RS256', 'rs1');
  await refused(withJwt(await assertion(twoKeysClientId, rs256, { alg: 'RS256' })), 'invalid-client', /algorithm "RS256" is not allowed/);
});

test('claims: iss = sub = client_id, aud = token endpoint, exp within five minutes', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { iss: 'someone-else' } })), 'invalid-client', /iss must equal its sub/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { aud: 'https://fhirkeep.example/oauth2/authorize' } })), 'invalid-client', /aud must be the token endpoint/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { aud: ['https://other.example'] } })), 'invalid-client', /aud must be/);
  // An aud of another type is no audience, refused like a wrong one, not a 500 (found by test/fuzz/authorization.test.ts).
  for (const aud of [{ a: [TOKEN_URL] }, 5, true, [5, null, { x: TOKEN_URL }]]) {
    await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { aud } as unknown as JWTPayload })), 'invalid-client', /aud must be/);
  }
  // RFC 7523 §3: the issuer identifier names this server too (openid-client sends it).
  assert.equal((await withJwt(await assertion(twoKeysClientId, rs, { claims: { aud: ISSUER } }))).client.id, twoKeysClientId);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { omit: ['exp'] })), 'invalid-client', /no exp/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { exp: now - 61 - 5 } })), 'invalid-client', /has expired/);
  // Within the 60 s clock skew an assertion just past its exp still passes.
  await withJwt(await assertion(twoKeysClientId, rs, { claims: { exp: now - 30 } }));
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { exp: now + 3600 } })), 'invalid-client', /more than five minutes ahead/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { claims: { nbf: now + 600 } })), 'invalid-client', /not valid yet/);
  // A sub naming an unknown client is simply an unknown client.
  await refused(withJwt(await assertion('nobody', rs)), 'invalid-client', /Unknown or revoked/);
});

test('jti: required, and never accepted twice', async () => {
  await refused(withJwt(await assertion(twoKeysClientId, rs, { omit: ['jti'] })), 'invalid-client', /needs a jti/);
  const token = await assertion(twoKeysClientId, rs);
  await withJwt(token);
  await refused(withJwt(token), 'invalid-client', /jti replayed/);
  // The same jti from another client is that client's own business.
  const jti = randomUUID();
  await withJwt(await assertion(twoKeysClientId, rs, { claims: { jti } }));
  await withJwt(await assertion(oneKeyClientId, ec, { kid: null, claims: { jti } }));
  await refused(withJwt(await assertion(twoKeysClientId, ec, { claims: { jti } })), 'invalid-client', /jti replayed/);
});

test('keys: unknown kid, several keys without kid, a different key under a known kid', async () => {
  await refused(withJwt(await assertion(twoKeysClientId, rs, { kid: 'nope' })), 'invalid-client', /No key "nope"/);
  await refused(withJwt(await assertion(twoKeysClientId, rs, { kid: null })), 'invalid-client', /several keys/);
  // The kid of the RSA key on an ES384 assertion: that key cannot verify it.
  await refused(withJwt(await assertion(twoKeysClientId, ec, { kid: 'rs1' })), 'invalid-client', /cannot verify ES384/);
  await refused(withJwt(await assertion(twoKeysClientId, other)), 'invalid-client', /signature does not verify/);
});

test('jku: accepted only when it is the registered JWK Set URL; an inline-keys client has none', async () => {
  await refused(withJwt(await assertion(twoKeysClientId, rs, { jku: 'https://attacker.example/jwks' })), 'invalid-client', /jku is not the registered/);
  const uri = `${jwksBase}/jku`;
  published.set('/jku', { keys: [rs.jwk], cacheControl: 'max-age=60', hits: 0 });
  const client = (await registry.register({ type: 'service', name: 'jku', jwksUri: uri })).client;
  assert.equal((await withJwt(await assertion(client.id, rs, { jku: uri }))).client.id, client.id);
  await refused(withJwt(await assertion(client.id, rs, { jku: `${jwksBase}/elsewhere` })), 'invalid-client', /jku is not the registered/);
  assert.equal(published.get('/jku')?.hits, 1, 'a forged jku is never fetched');
});

test('jwks_uri: fetched from the client, cached per Cache-Control max-age, not at all with no-store; refetched on an unknown kid', async () => {
  published.set('/max-age', { keys: [rs.jwk], cacheControl: 'public, max-age=120', hits: 0 });
  published.set('/no-store', { keys: [rs.jwk], cacheControl: 'no-store', hits: 0 });
  const cached = (await registry.register({ type: 'service', name: 'max-age', jwksUri: `${jwksBase}/max-age` })).client;
  const uncached = (await registry.register({ type: 'service', name: 'no-store', jwksUri: `${jwksBase}/no-store` })).client;
  for (let i = 0; i < 3; i++) {
    await withJwt(await assertion(cached.id, rs));
    await withJwt(await assertion(uncached.id, rs));
  }
  assert.equal(published.get('/max-age')?.hits, 1);
  assert.equal(published.get('/no-store')?.hits, 3);

  // The client rotates to a new key: the unknown kid makes us look once more.
  const next = await keyPair('ES384', 'ec-next');
  published.set('/max-age', { keys: [rs.jwk, next.jwk], cacheControl: 'max-age=120', hits: 1 });
  await withJwt(await assertion(cached.id, next));
  assert.equal(published.get('/max-age')?.hits, 2);
  await refused(withJwt(await assertion(cached.id, rs, { kid: 'gone' })), 'invalid-client', /No key "gone"/);
  assert.equal(published.get('/max-age')?.hits, 3, 'one refetch per unknown kid, not more');

  const missing = (await registry.register({ type: 'service', name: 'missing set', jwksUri: `${jwksBase}/missing` })).client;
  await refused(withJwt(await assertion(missing.id, rs)), 'invalid-client', /answered HTTP 404/);
});
