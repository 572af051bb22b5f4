import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import { createAssertionJtiStore, createClientStore, type ClientStore, type NewClient } from './client-store.js';
import { createServiceManagerStore } from './service-manager-store.js';

let testDb: TestDatabase;
let store: ClientStore;

before(async () => {
  testDb = await createTestDatabase();
  store = createClientStore(testDb.db.sql);
  await testDb.db.sql`insert into accounts (id, email, roles) values ('dev-1', 'dev@example.org', '{developer}')`;
});
after(() => testDb.drop());

const client = (id: string, extra: Partial<NewClient> = {}): NewClient => ({
  id,
  type: 'service',
  name: id,
  isPublic: false,
  secretHash: Buffer.alloc(32, 1),
  redirectUris: [],
  scopes: [],
  jwks: undefined,
  jwksUri: undefined,
  launchUri: undefined,
  requirePkce: true,
  ownerAccount: undefined,
  ...extra,
});

test('an id with a NUL names no client (and is no server error)', async () => {
  assert.equal(await store.find('c-\u0000'), undefined);
});

test('clients round-trip; list filters by owner; an unknown owner is a bad request', async () => {
  const made = await store.insert(client('c-1', { ownerAccount: 'dev-1', redirectUris: ['https://a.example/cb'], scopes: ['system/*.rs'], jwks: undefined }));
  assert.deepEqual([made.ownerAccount, made.redirectUris, made.scopes, made.hasSecret, made.revoked], ['dev-1', ['https://a.example/cb'], ['system/*.rs'], true, false]);
  await store.insert(client('c-2', { secretHash: undefined, jwks: { keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y' }] } }));
  const managers = createServiceManagerStore(testDb.db.sql);
  assert.deepEqual([await managers.managerOf('c-1'), await managers.managerOf('c-2')], [{ kind: 'account', id: 'dev-1' }, { kind: 'none' }], 'the owner manages its keys');
  assert.deepEqual((await store.find('c-2'))?.client.jwks, { keys: [{ kty: 'EC', crv: 'P-384', x: 'x', y: 'y' }] });
  assert.deepEqual((await store.find('c-1'))?.secretHash, Buffer.alloc(32, 1));
  assert.deepEqual((await store.list({ ownerAccount: 'dev-1' })).map((c) => c.id), ['c-1']);
  assert.deepEqual((await store.list()).map((c) => c.id), ['c-1', 'c-2']);
  await assert.rejects(store.insert(client('c-3', { ownerAccount: 'ghost' })), (e: unknown) => e instanceof FhirkeepError && e.code === 'bad-request' && /no account ghost/.test(e.message));
  assert.equal(await store.find('c-3'), undefined);
  assert.equal(await store.revoke('c-3'), undefined);
});

test('a research partner is registered with its data-use agreement signed; other clients sign none', async () => {
  const before = Date.now();
  const partner = await store.insert(client('c-research', { type: 'research' }));
  assert.ok(partner.agreementSignedAt !== undefined && partner.agreementSignedAt.getTime() >= before - 1000, String(partner.agreementSignedAt));
  assert.deepEqual((await store.find('c-research'))?.client.agreementSignedAt, partner.agreementSignedAt);
  assert.equal((await store.insert(client('c-service'))).agreementSignedAt, undefined);
});

test('every change is announced on fhirkeep_clients; (re)listening is announced as undefined', async () => {
  const heard: (string | undefined)[] = [];
  const stop = await store.watch((id) => heard.push(id));
  try {
    await store.insert(client('c-watch'));
    await store.replaceSecretHash('c-watch', Buffer.alloc(32, 2));
    await store.update('c-watch', { name: 'renamed', redirectUris: [], scopes: ['a'], jwks: undefined, jwksUri: undefined, launchUri: undefined });
    await store.revoke('c-watch');
    const deadline = Date.now() + 3000;
    while (heard.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(heard, [undefined, 'c-watch', 'c-watch', 'c-watch']);
  } finally {
    await stop();
  }
});

test('assertion jtis: recorded once per client; expired ones purged', async () => {
  const jtis = createAssertionJtiStore(testDb.db.sql);
  const later = new Date(Date.now() + 60_000);
  assert.equal(await jtis.recordIfNew('c-1', 'j-1', later), true);
  assert.equal(await jtis.recordIfNew('c-1', 'j-1', later), false);
  assert.equal(await jtis.recordIfNew('c-2', 'j-1', later), true);
  assert.equal(await jtis.recordIfNew('c-1', 'j-old', new Date(Date.now() - 1000)), true);
  assert.equal(await jtis.purgeExpired(), 1);
  assert.equal(await jtis.recordIfNew('c-1', 'j-1', later), false, 'live ones stay');
});
