import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { pino } from 'pino';
import { parseConfig } from '../../config/load.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { createClientStore, type ClientStore } from '../../storage/auth/client-store.js';
import { openDatabase, type Database } from '../../storage/database.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { SecurityEvent } from '../security-events.js';
import { createClientRegistry, type ClientRegistration, type ClientRegistry } from './client-registry.js';
import { secretMatches } from './client-secrets.js';

let testDb: TestDatabase;
let registry: ClientRegistry;
const events: SecurityEvent[] = [];
let rsJwk: JWK;
let ecJwk: JWK;

before(async () => {
  testDb = await createTestDatabase();
  registry = await createClientRegistry({ store: createClientStore(testDb.db.sql), recordEvent: (e) => events.push(e) });
  rsJwk = { ...(await exportJWK((await generateKeyPair('RS384')).publicKey)), kid: 'rs' };
  ecJwk = { ...(await exportJWK((await generateKeyPair('ES384')).publicKey)), kid: 'ec' };
});
after(async () => {
  await registry.close();
  await testDb.drop();
});

const app = (extra: Partial<ClientRegistration> = {}): ClientRegistration => ({ type: 'smart', name: 'App', redirectUris: ['https://app.example/cb'], ...extra });
async function invalid(registration: ClientRegistration, message: RegExp): Promise<void> {
  await assert.rejects(registry.register(registration), (e: unknown) => e instanceof FhirkeepError && e.code === 'bad-request' && message.test(e.message));
}

test('a confidential client gets a 256-bit secret, shown once and stored as its SHA-256; ids are random', async () => {
  const { client, secret } = await registry.register(app({ scopes: ['launch', 'patient/*.rs', 'patient/*.rs'], launchUri: 'https://app.example/launch', ownerAccount: undefined }), 'admin-1');
  assert.match(client.id, /^[A-Za-z0-9_-]{22}$/);
  assert.match(secret ?? '', /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([client.type, client.isPublic, client.hasSecret, client.requirePkce, client.revoked], ['smart', false, true, true, false]);
  assert.deepEqual(client.scopes, ['launch', 'patient/*.rs'], 'duplicates dropped');
  const stored = await registry.lookup(client.id);
  assert.ok(secretMatches(secret ?? '', stored?.secretHash));
  assert.equal(stored?.secretHash?.length, 32);
  assert.deepEqual(events.at(-1), { kind: 'client-create', outcome: 'success', clientId: client.id, accountId: 'admin-1', detail: { type: 'smart', name: 'App' } });
  const again = await registry.register(app());
  assert.notEqual(again.client.id, client.id);
});

test('public clients: smart only, no secret, PKCE required', async () => {
  const { client, secret } = await registry.register(app({ isPublic: true, redirectUris: ['http://127.0.0.1:8000/cb', 'http://localhost/cb', 'http://[::1]:9/cb'] }));
  assert.equal(secret, undefined);
  assert.deepEqual([client.isPublic, client.hasSecret], [true, false]);
  for (const type of ['service', 'broker', 'research'] as const) await invalid({ type, name: 'x', isPublic: true }, /cannot be public/);
  await invalid(app({ isPublic: true, requirePkce: false }), /must use PKCE/);
  await invalid(app({ isPublic: true, jwks: { keys: [rsJwk] } }), /public client has no keys/);
  assert.equal((await registry.register(app({ requirePkce: false }))).client.requirePkce, false, 'a confidential client may opt out');
});

test('redirect URIs: absolute, https or loopback http, no fragment; smart clients need one', async () => {
  await invalid(app({ redirectUris: [] }), /at least one redirect URI/);
  await invalid(app({ redirectUris: ['/cb'] }), /not an absolute URL/);
  await invalid(app({ redirectUris: ['http://app.example/cb'] }), /must use https/);
  await invalid(app({ redirectUris: ['http://localhost.attacker.example/cb'] }), /must use https/);
  await invalid(app({ redirectUris: ['https://app.example/cb#x'] }), /fragment/);
  await invalid(app({ redirectUris: ['https://app.example/cb#'] }), /fragment/);
  await invalid(app({ redirectUris: ['https://user:pw@app.example/cb'] }), /credentials/);
  await invalid(app({ launchUri: 'ftp://app.example/launch' }), /launch URI .* must use https/);
  await invalid({ type: 'service', name: 'x', launchUri: 'https://x.example' }, /only a smart client has a launch URI/);
  const service = await registry.register({ type: 'service', name: 'no redirects needed' });
  assert.deepEqual(service.client.redirectUris, []);
});

test('names and scopes are checked', async () => {
  await invalid(app({ name: '  ' }), /name must be/);
  await invalid(app({ name: 'x'.repeat(201) }), /name must be/);
  await invalid(app({ scopes: ['patient/*.read user/*.read'] }), /is not a scope/);
  await invalid(app({ scopes: ['a"b'] }), /is not a scope/);
  await invalid(app({ scopes: [''] }), /is not a scope/);
  await invalid({ type: 'nurse' as 'smart', name: 'x' }, /type must be one of/);
});

test('key sets: public RS384/ES384 keys only, kids on several keys, jwks or jwks_uri (not both); such clients get no secret', async () => {
  const inline = await registry.register({ type: 'service', name: 'keys', jwks: { keys: [rsJwk, ecJwk] } });
  assert.equal(inline.secret, undefined);
  assert.deepEqual(inline.client.jwks, { keys: [rsJwk, ecJwk] });
  const byUrl = await registry.register({ type: 'research', name: 'url', jwksUri: 'https://partner.example/jwks.json' });
  assert.deepEqual([byUrl.secret, byUrl.client.jwksUri, byUrl.client.hasSecret], [undefined, 'https://partner.example/jwks.json', false]);
  await registry.register({ type: 'service', name: 'local', jwksUri: 'http://localhost:9999/jwks' });

  const service = (jwks: unknown, jwksUri?: string): ClientRegistration => ({ type: 'service', name: 's', jwks, ...(jwksUri === undefined ? {} : { jwksUri }) });
  await invalid(service({ keys: [rsJwk] }, 'https://x.example/jwks'), /not both/);
  await invalid(service({ keys: [] }), /1 to 10 keys/);
  await invalid(service([rsJwk]), /"keys" array/);
  const { kid: _kid, ...noKid } = ecJwk;
  await invalid(service({ keys: [rsJwk, noKid] }), /key 1 has no "kid"/);
  await invalid(service({ keys: [rsJwk, { ...ecJwk, kid: 'rs' }] }), /appears twice/);
  const { privateKey } = await generateKeyPair('ES384', { extractable: true });
  await invalid(service({ keys: [await exportJWK(privateKey)] }), /private member "d"/);
  await invalid(service({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }), /private member "k"/);
  const p256 = await exportJWK((await generateKeyPair('ES256')).publicKey);
  await invalid(service({ keys: [p256] }), /P-384/);
  const rsa1024 = exportJwkOf(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
  await invalid(service({ keys: [rsa1024] }), /1024 bits/);
  await invalid(service({ keys: [{ ...rsJwk, alg: 'RS256' }] }), /"alg" "RS256" is not allowed/);
  await invalid(service({ keys: [{ ...rsJwk, use: 'enc' }] }), /cannot verify signatures/);
  await invalid(service({ keys: [{ ...ecJwk, x: 'AAAA' }] }), /not a valid key/);
  await invalid(service(undefined, 'http://partner.example/jwks'), /must use https/);
  await invalid(service(undefined, 'https://partner.example/jwks#k'), /fragment/);
});

test('rotateSecret replaces the secret at once; not for public or key clients, nor revoked ones', async () => {
  const { client, secret } = await registry.register({ type: 'broker', name: 'rotating' });
  const rotated = await registry.rotateSecret(client.id, 'admin-2');
  assert.notEqual(rotated.secret, secret);
  const stored = await registry.lookup(client.id);
  assert.ok(secretMatches(rotated.secret, stored?.secretHash));
  assert.ok(!secretMatches(secret ?? '', stored?.secretHash), 'the old secret stopped working');
  assert.equal(events.at(-1)?.kind, 'client-secret-rotate');

  const pub = await registry.register(app({ isPublic: true }));
  await assert.rejects(registry.rotateSecret(pub.client.id), /is public/);
  const keys = await registry.register({ type: 'service', name: 'k', jwks: { keys: [rsJwk] } });
  await assert.rejects(registry.rotateSecret(keys.client.id), /private_key_jwt/);
  await registry.revoke(client.id);
  await assert.rejects(registry.rotateSecret(client.id), /is revoked/);
  await assert.rejects(registry.rotateSecret('missing'), (e: unknown) => e instanceof FhirkeepError && e.code === 'not-found');
});

test('revoke is recorded once and idempotent; find, list by owner; update revalidates', async () => {
  const { client } = await registry.register(app({ name: 'to revoke' }));
  const before = events.length;
  assert.equal((await registry.revoke(client.id, 'admin-3')).revoked, true);
  assert.equal((await registry.revoke(client.id)).revoked, true);
  assert.deepEqual(events.slice(before), [{ kind: 'client-revoke', outcome: 'success', clientId: client.id, accountId: 'admin-3' }]);
  assert.equal((await registry.find(client.id))?.revoked, true);
  await assert.rejects(registry.revoke('missing'), (e: unknown) => e instanceof FhirkeepError && e.code === 'not-found');
  assert.ok((await registry.list()).some((c) => c.id === client.id));

  const updated = await registry.update(client.id, { redirectUris: ['https://new.example/cb'], scopes: ['openid'], launchUri: 'https://new.example/launch' });
  assert.deepEqual([updated.redirectUris, updated.scopes, updated.launchUri, updated.name], [['https://new.example/cb'], ['openid'], 'https://new.example/launch', 'to revoke']);
  assert.equal((await registry.update(client.id, { launchUri: null })).launchUri, undefined);
  await assert.rejects(registry.update(client.id, { redirectUris: ['http://bad.example'] }), /must use https/);
  await assert.rejects(registry.update(client.id, { jwks: { keys: [rsJwk] } }), /authenticates with its secret/);
  const keys = await registry.register({ type: 'service', name: 'k2', jwks: { keys: [rsJwk] } });
  const moved = await registry.update(keys.client.id, { jwks: null, jwksUri: 'https://k2.example/jwks' });
  assert.deepEqual([moved.jwks, moved.jwksUri], [undefined, 'https://k2.example/jwks']);
  await assert.rejects(registry.update(keys.client.id, { jwksUri: null }), /needs its JWK Set/);
  await assert.rejects(registry.update('missing', { name: 'x' }), (e: unknown) => e instanceof FhirkeepError && e.code === 'not-found');
});

test('a cached client row is evicted at once when another node revokes it or rotates its secret', async () => {
  // A second node: its own pool and registry over the same database.
  const other: Database = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: testDb.url }), pino({ level: 'silent' }));
  const otherRegistry = await createClientRegistry({ store: createClientStore(other.sql), recordEvent: () => {} });
  const cached = await createClientRegistry({ store: createClientStore(testDb.db.sql), recordEvent: () => {}, cacheTtlMs: 60_000 });
  try {
    const { client, secret } = await otherRegistry.register({ type: 'service', name: 'cached' });
    const first = await cached.lookup(client.id);
    assert.ok(secretMatches(secret ?? '', first?.secretHash));
    assert.equal(await cached.lookup(client.id), first, 'served from the cache');

    const { secret: next } = await otherRegistry.rotateSecret(client.id);
    const rotated = await eventually(async () => {
      const row = await cached.lookup(client.id);
      return row !== first ? row : undefined;
    });
    assert.ok(secretMatches(next, rotated.secretHash));

    await otherRegistry.revoke(client.id);
    await eventually(async () => ((await cached.lookup(client.id))?.client.revoked === true ? true : undefined));
  } finally {
    await cached.close();
    await otherRegistry.close();
    await other.close();
  }
});

test('a row read while another node changes the client is not cached: the next lookup reads the change', async () => {
  const other: Database = await openDatabase(parseConfig({ FHIRKEEP_DATABASE_URL: testDb.url }), pino({ level: 'silent' }));
  const otherRegistry = await createClientRegistry({ store: createClientStore(other.sql), recordEvent: () => {} });
  const store = createClientStore(testDb.db.sql);
  // This node's read gets the row as it was, then is held until the other node's change has arrived here.
  let read!: () => void;
  const rowRead = new Promise<void>((resolve) => (read = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const slowStore: ClientStore = {
    ...store,
    async find(id) {
      const row = await store.find(id);
      read();
      await held;
      return row;
    },
  };
  const cached = await createClientRegistry({ store: slowStore, recordEvent: () => {}, cacheTtlMs: 60_000 });
  try {
    const { client } = await otherRegistry.register({ type: 'service', name: 'raced' });
    let arrived!: () => void;
    const changeArrived = new Promise<void>((resolve) => (arrived = resolve));
    cached.onChange((id) => {
      if (id === client.id) arrived();
    });
    const pending = cached.lookup(client.id);
    await rowRead;
    await otherRegistry.revoke(client.id);
    await changeArrived;
    release();
    assert.equal((await pending)?.client.revoked, false, 'the read that raced the change answers the row it read');
    assert.equal((await cached.lookup(client.id))?.client.revoked, true, 'and left nothing stale behind');
  } finally {
    await cached.close();
    await otherRegistry.close();
    await other.close();
  }
});

/** Polls until `probe` yields a value (a NOTIFY takes milliseconds to arrive). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail('the change did not arrive in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** jose refuses to make RSA keys under 2048 bits; node:crypto still can, for this test. */
function exportJwkOf(key: KeyObject): JWK {
  return key.export({ format: 'jwk' }) as JWK;
}

test('access settings left out stay as the row has them: a reach set meanwhile is not written back', async () => {
  const { client } = await registry.register({ type: 'service', name: 'race' });
  await registry.setAccessSettings(client.id, { accessFilter: undefined, reach: 'all' });
  const saved = await registry.setAccessSettings(client.id, { accessFilter: { format: 'fhir/Observation' }, writeMode: 'none' });
  assert.deepEqual([saved.client.reach, saved.client.writeMode], ['all', 'none']);
});
