import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { httpClient, type HttpResult } from '../support/http.js';
import { assertFhirAnswer, brief, fuzzRuns, fuzzServer, hostileJson, hostileNumber, hostileString, mutated } from '../support/fuzz.js';

/**
 * Authorization headers on the FHIR API and the token endpoint, and private_key_jwt client
 * assertions with mutated headers and claims, signed with the registered key, another key or not
 * at all. Never a 5xx; refusals are OperationOutcomes (FHIR) or OAuth errors (token endpoint), and
 * a refused request issued nothing.
 */
const THIS_FILE = 'test/fuzz/authorization.test.ts';
const file = serverForThisFile({ FHIRKEEP_BODY_LIMIT: '100000' });

const KID = 'fuzz-key';
const registered = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
let secretClient: { id: string; secret: string };
let jwtClientId: string;
let realToken: string;

async function register(): Promise<void> {
  const { clients, accessFilters } = file.server.fhirkeep.auth;
  const made = await clients.register({ type: 'service', name: 'fuzz secret', scopes: ['system/Patient.cruds'] });
  secretClient = { id: made.client.id, secret: made.secret ?? '' };
  const jwk = { ...registered.publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS384' };
  jwtClientId = (await clients.register({ type: 'service', name: 'fuzz jwt', scopes: ['system/Patient.rs'], jwks: { keys: [jwk] } })).client.id;
  for (const id of [secretClient.id, jwtClientId]) await accessFilters.setAccessFilter(id, { filter: null, reach: 'all' });
  const res = await tokenRequest({ grant_type: 'client_credentials' }, basic(secretClient.id, secretClient.secret));
  assert.equal(res.status, 200, res.text);
  realToken = res.json.access_token as string;
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function tokenRequest(form: Record<string, string>, authorization?: string): Promise<HttpResult> {
  return httpClient(file.server.baseUrl)('POST', '/oauth2/token', {
    raw: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(authorization === undefined ? {} : { authorization }) },
  });
}

/**
 * What an OAuth refusal must be (RFC 6749 §5.2): below 500, JSON with a string `error`. Headers
 * over the size limit (431) are refused by the HTTP parser before any endpoint is known: those
 * get the server-wide OperationOutcome.
 */
function assertOAuthAnswer(res: HttpResult, what: string): void {
  assert.ok(res.status < 500, `${res.status} ${res.text.slice(0, 500)} for ${brief(what)}`);
  if (res.status === 431) assert.equal(res.json?.resourceType, 'OperationOutcome');
  else if (res.status >= 400) assert.equal(typeof res.json?.error, 'string', `${res.status} is not an OAuth error: ${res.text.slice(0, 300)} for ${brief(what)}`);
}

/** Header text fetch can send: visible Latin-1 only. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e\xa0-\xff]/g, '');

/** Mangles a real credential: cut, a character changed, something appended, a segment dropped. */
const mangle = (real: () => string) =>
  fc.oneof(
    fc.nat().map((n) => real().slice(0, n % (real().length + 1))),
    fc.tuple(fc.nat(), fc.constantFrom('A', '.', '-', '_', '=', ' ', '%')).map(([n, c]) => { const t = real(); const i = n % t.length; return t.slice(0, i) + c + t.slice(i + 1); }),
    hostileString.map((s) => real() + headerSafe(s)),
    fc.nat({ max: 2 }).map((i) => real().split('.').filter((_, k) => k !== i).join('.')),
  );

const authorizationHeader = fc.oneof(
  { weight: 3, arbitrary: mangle(() => realToken).map((t) => `Bearer ${t}`) },
  { weight: 1, arbitrary: fc.constant(null).map(() => `Bearer ${realToken}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Bearer ', 'Basic', 'basic', 'Digest', 'MAC', 'Negotiate', 'Test', 'Bearer\t', ''), hostileString).map(([scheme, v]) => headerSafe(`${scheme} ${v}`)) },
  { weight: 2, arbitrary: fc.tuple(hostileString, hostileString).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`) },
  { weight: 1, arbitrary: fc.constantFrom('Basic ====', 'Basic !!!', 'Basic Og==', 'Basic YTo=', 'Basic JUZGOiVGRg==', 'Bearer', 'Bearer  ', 'Bearer a b c', 'Bearer ..', 'Bearer e30.e30.', 'Bearer eyJhbGciOiJub25lIn0.e30.') },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 15_000 }).map((n) => `Bearer ${'a'.repeat(n)}`) },
  { weight: 1, arbitrary: mangle(() => basic(secretClient.id, secretClient.secret)) },
);

test('Authorization headers on the FHIR API: below 500, refusals are OperationOutcomes, a refused write wrote nothing', async () => {
  await register();
  const fhir = httpClient(file.server.fhirBase);
  await fuzzServer(
    file.server,
    { name: 'fhir authorization', file: THIS_FILE, runs: fuzzRuns(150) },
    fc.tuple(authorizationHeader, fc.constantFrom('GET /Patient', 'GET /Patient/x', 'POST /Patient', 'GET /metadata')),
    async ([authorization, request], sendWatched) => {
      const [method = 'GET', path = '/'] = request.split(' ');
      const what = `${request} Authorization: ${authorization}`;
      const res = await sendWatched(() => fhir(method, path, { headers: { authorization }, ...(method === 'POST' ? { body: { resourceType: 'Patient', gender: 'male' } } : {}) }), what);
      assertFhirAnswer(res, what);
    },
  );
});

const tokenForm = fc.record(
  {
    grant_type: fc.oneof(fc.constantFrom('client_credentials', 'refresh_token', 'authorization_code', 'password', ''), hostileString),
    scope: fc.oneof(fc.constantFrom('system/Patient.rs', 'system/*.*', 'openid', 'patient/*.read launch', ''), hostileString),
    client_id: fc.oneof(fc.constant(null).map(() => secretClient.id), hostileString),
    client_secret: fc.oneof(fc.constant(null).map(() => secretClient.secret), hostileString),
    refresh_token: hostileString,
    code: hostileString,
  },
  { requiredKeys: ['grant_type'] },
);

test('Authorization headers and forms on the token endpoint: below 500, refusals are OAuth errors that issued nothing', async () => {
  if (realToken === undefined) await register();
  await fuzzServer(
    file.server,
    { name: 'token endpoint', file: THIS_FILE, runs: fuzzRuns(150) },
    fc.tuple(fc.option(authorizationHeader, { nil: undefined }), tokenForm),
    async ([authorization, form], sendWatched) => {
      const what = `POST /oauth2/token ${JSON.stringify(form)} Authorization: ${authorization}`;
      assertOAuthAnswer(await sendWatched(() => tokenRequest(form as Record<string, string>, authorization), what), what);
    },
  );
});

// --- private_key_jwt client assertions --------------------------------------------------------

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')).toString('base64url');

/** A JWS (RFC 7515 compact) over any header and claims: RS384 with `key`, or the signature text given. */
function compactJws(header: unknown, claims: unknown, signature: KeyObject | string): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  const sig = typeof signature === 'string' ? signature : createSign('sha384').update(input).sign(signature).toString('base64url');
  return `${input}.${sig}`;
}

let jtiCounter = 0;
const assertionCase = fc.record({
  header: mutated({ alg: 'RS384', kid: KID, typ: 'JWT' }),
  headerSwap: fc.option(fc.record({ alg: fc.constantFrom('none', 'HS256', 'RS256', 'ES384', 'RS384 ', 'rs384', 'PS384'), kid: fc.oneof(fc.constantFrom('other', '', KID), hostileJson), jku: fc.constantFrom('https://evil.example/jwks', 'file:///etc/passwd') }, { requiredKeys: [] }), { nil: undefined }),
  claims: mutated({ iss: 'ISS', sub: 'SUB', aud: 'AUD', exp: 240, jti: 'JTI' }),
  claimSwap: fc.option(fc.record({ aud: fc.oneof(fc.constant(['AUD', 'x']), fc.constant([]), fc.constant([5]), hostileJson), exp: fc.oneof(hostileNumber, hostileString), nbf: fc.oneof(fc.constant(3600), hostileNumber, hostileString), iat: fc.oneof(fc.constant(86400), hostileNumber), extra: fc.constant('x'.repeat(50_000)) }, { requiredKeys: [] }), { nil: undefined }),
  signedWith: fc.constantFrom('registered', 'registered', 'stranger', 'none', 'garbage'),
  clientIdInForm: fc.boolean(),
  assertionType: fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'jwt', ''),
});

/** Puts the live values (client id, audience, a fresh jti) where the template's top-level claims (or aud's list) name them. */
function realise(claims: unknown, now: number): unknown {
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return claims;
  const live: Record<string, unknown> = { ISS: jwtClientId, SUB: jwtClientId, AUD: `${file.server.baseUrl}/oauth2/token`, JTI: `jti-${++jtiCounter}-${now}` };
  const put = (v: unknown): unknown => (typeof v === 'string' && v in live ? live[v] : v);
  return Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, k === 'exp' && v === 240 ? now + 240 : Array.isArray(v) ? v.map(put) : put(v)]));
}

test('private_key_jwt client assertions with mutated headers and claims: below 500, refusals are OAuth errors that issued nothing', async () => {
  if (realToken === undefined) await register();
  await fuzzServer(
    file.server,
    { name: 'client assertions', file: THIS_FILE, runs: fuzzRuns(150) },
    assertionCase,
    async (c, sendWatched) => {
      const now = Math.floor(Date.now() / 1000);
      const header = { ...(c.header as object), ...c.headerSwap };
      const claims = realise(c.claimSwap === undefined ? c.claims : { ...(c.claims as object), ...c.claimSwap }, now);
      if (claims !== null && typeof claims === 'object' && !Array.isArray(claims)) {
        const times = claims as Record<string, unknown>;
        // Templates 3600 and 86400: an hour and a day in the future.
        for (const k of ['nbf', 'iat'] as const) if (times[k] === 3600 || times[k] === 86400) times[k] = now + (times[k] as number);
      }
      const signature = { registered: registered.privateKey, stranger: stranger.privateKey, none: '', garbage: 'AAAA' }[c.signedWith];
      const form = {
        grant_type: 'client_credentials',
        client_assertion_type: c.assertionType,
        client_assertion: compactJws(header, claims, signature),
        ...(c.clientIdInForm ? { client_id: jwtClientId } : {}),
      };
      const what = `assertion header ${brief(header)} claims ${brief(claims)} signed with ${c.signedWith}`;
      assertOAuthAnswer(await sendWatched(() => tokenRequest(form), what), what);
    },
  );
});
