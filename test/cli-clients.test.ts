import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { createClientRegistry, type ClientRegistry } from '../src/auth/clients/client-registry.js';
import { secretMatches } from '../src/auth/clients/client-secrets.js';
import { createClientStore } from '../src/storage/auth/client-store.js';
import { recentSecurityEvents } from '../src/storage/auth/security-event-store.js';
import { cliOn } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let work: string;
let database: TestDatabase;
/** What a running server holds: a registry caching client rows, kept current by NOTIFY. */
let serverRegistry: ClientRegistry;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'fhirkeep-clients-'));
  chmodSync(work, 0o755);
  database = await createTestDatabase();
  serverRegistry = await createClientRegistry({ store: createClientStore(database.db.sql), recordEvent: () => {}, cacheTtlMs: 60_000 });
});
after(async () => {
  await serverRegistry.close();
  await database.drop();
  rmSync(work, { recursive: true, force: true });
});

const { cli, json } = cliOn(() => ({ databaseUrl: database.url, dataDir: join(work, 'data') }));

test('client create prints the client_id and, once, the secret; key clients and public apps get none', async () => {
  const human = await cli('client', 'create', '--type', 'service', '--name', 'Lab feed', '--scope', 'system/Observation.cruds system/Patient.rs');
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Created service client "Lab feed"\nclient_id: +[A-Za-z0-9_-]{22}\nclient_secret: [A-Za-z0-9_-]{43}\nThe secret is shown only now/);

  const service = await json('client', 'create', '--type', 'broker', '--name', 'Broker');
  assert.match(service.client_id, /^[A-Za-z0-9_-]{22}$/);
  assert.match(service.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(service.token_endpoint_auth_method, 'client_secret_basic');
  assert.ok(secretMatches(service.client_secret, (await serverRegistry.lookup(service.client_id))?.secretHash));

  const app = await json('client', 'create', '--type', 'smart', '--name', 'Growth chart', '--public', '--redirect-uri', 'http://localhost:9000/cb', '--redirect-uri', 'https://app.example/cb', '--scope', 'launch openid patient/*.rs', '--launch-uri', 'https://app.example/launch');
  assert.equal(app.client_secret, undefined);
  assert.deepEqual([app.public, app.require_pkce, app.token_endpoint_auth_method, app.redirect_uris, app.scope, app.launch_uri], [true, true, 'none', ['http://localhost:9000/cb', 'https://app.example/cb'], 'launch openid patient/*.rs', 'https://app.example/launch']);

  const jwksFile = join(work, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK((await generateKeyPair('ES384')).publicKey)), kid: 'k1' }] }));
  const keyed = await json('client', 'create', '--type', 'research', '--name', 'Study partner', '--jwks', jwksFile);
  assert.equal(keyed.client_secret, undefined);
  assert.equal(keyed.token_endpoint_auth_method, 'private_key_jwt');
  assert.equal(keyed.jwks.keys[0].kid, 'k1');
  const byUrl = await json('client', 'create', '--type', 'service', '--name', 'By URL', '--jwks-uri', 'https://svc.example/jwks', '--no-pkce');
  assert.deepEqual([byUrl.jwks_uri, byUrl.require_pkce, byUrl.client_secret], ['https://svc.example/jwks', false, undefined]);

  const { clients } = await json('client', 'list');
  assert.deepEqual(clients.map((c: { client_name: string }) => c.client_name), ['Lab feed', 'Broker', 'Growth chart', 'Study partner', 'By URL']);
  assert.ok(clients.every((c: Record<string, unknown>) => !('client_secret' in c)), 'a list never shows secrets');
  const listed = await cli('client', 'list');
  assert.match(listed.stdout, new RegExp(`${app.client_id}  smart     Growth chart  \\(public\\)`));
});

test('rotate-secret and revoke take effect at once in a running server', async () => {
  const made = await json('client', 'create', '--type', 'service', '--name', 'Rotating');
  const cachedRow = await serverRegistry.lookup(made.client_id);
  assert.ok(secretMatches(made.client_secret, cachedRow?.secretHash));

  const rotated = await json('client', 'rotate-secret', made.client_id);
  assert.notEqual(rotated.client_secret, made.client_secret);
  await eventually(async () => secretMatches(rotated.client_secret, (await serverRegistry.lookup(made.client_id))?.secretHash));

  const revoked = await cli('client', 'revoke', made.client_id);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, new RegExp(`Revoked client ${made.client_id} \\(Rotating\\)`));
  await eventually(async () => (await serverRegistry.lookup(made.client_id))?.client.revoked === true);
  assert.equal((await json('client', 'list')).clients.find((c: { client_id: string }) => c.client_id === made.client_id).revoked, true);
  // The CLI exits only after its security events are written.
  const kinds = (await recentSecurityEvents(database.db.sql, 100)).filter((e) => e.clientId === made.client_id).map((e) => e.kind);
  assert.deepEqual(kinds, ['client-revoke', 'client-secret-rotate', 'client-create']);
});

test('bad input: clear messages and a non-zero exit', async () => {
  const noType = await cli('client', 'create', '--name', 'x');
  assert.notEqual(noType.code, 0);
  assert.match(noType.stderr, /required option '--type <type>' not specified/);
  const badType = await cli('client', 'create', '--type', 'nurse', '--name', 'x');
  assert.notEqual(badType.code, 0);
  assert.match(badType.stderr, /Allowed choices are smart, service, broker, research/);

  const insecure = await cli('client', 'create', '--type', 'smart', '--name', 'x', '--redirect-uri', 'http://app.example/cb');
  assert.equal(insecure.code, 1);
  assert.match(insecure.stderr, /fhirkeep: redirect URI http:\/\/app\.example\/cb must use https/);
  const publicService = await cli('--json', 'client', 'create', '--type', 'service', '--name', 'x', '--public');
  assert.equal(publicService.code, 1);
  assert.deepEqual(JSON.parse(publicService.stderr.trim().split('\n').at(-1) ?? ''), { error: 'a service client authenticates itself, so it cannot be public' });
  const missingFile = await cli('client', 'create', '--type', 'service', '--name', 'x', '--jwks', join(work, 'nope.json'));
  assert.match(missingFile.stderr, /Cannot read the JWK Set file/);
  const both = await cli('client', 'create', '--type', 'service', '--name', 'x', '--jwks', 'a.json', '--jwks-uri', 'https://x.example/jwks');
  assert.notEqual(both.code, 0);
  assert.match(both.stderr, /cannot be used with option '--jwks-uri <uri>'/);

  for (const command of ['revoke', 'rotate-secret']) {
    const unknown = await cli('client', command, 'no-such-client');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no client no-such-client/);
  }
});

async function eventually(probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail('the change did not reach the running server in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
