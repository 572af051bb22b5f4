import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from './load.js';

test('defaults follow CONTRACT.md', () => {
  const c = parseConfig({});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.baseUrl, 'http://localhost:8080');
  assert.equal(c.dataDir, resolve('.fhirkeep'));
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.devNoAuth, false);
  assert.equal(c.demo, true);
  assert.equal(c.tls, undefined);
  assert.deepEqual(c.admin, { email: 'admin@localhost', password: undefined });
});

test('the bootstrap admin: email trimmed and checked, password checked but never echoed', () => {
  const c = loadConfig({ FHIRKEEP_ADMIN_EMAIL: ' ops@example.org ', FHIRKEEP_ADMIN_PASSWORD: 'correct horse battery' });
  assert.deepEqual(c.admin, { email: 'ops@example.org', password: 'correct horse battery' });
  assert.equal(loadConfig({ FHIRKEEP_ADMIN_PASSWORD: '' }).admin.password, undefined, 'empty means unset');
  assert.throws(() => parseConfig({ FHIRKEEP_ADMIN_EMAIL: 'not an email' }), /FHIRKEEP_ADMIN_EMAIL: Not an email address/);
  assert.throws(() => parseConfig({ FHIRKEEP_ADMIN_EMAIL: `${'a'.repeat(250)}@example.org` }), /FHIRKEEP_ADMIN_EMAIL: .*at most 254/);
  assert.throws(
    () => parseConfig({ FHIRKEEP_ADMIN_PASSWORD: 'short-secre' }),
    (e: unknown) => e instanceof ConfigError && /FHIRKEEP_ADMIN_PASSWORD: .*at least 12/.test(e.message) && !e.message.includes('short-secre'),
  );
  assert.throws(() => parseConfig({ FHIRKEEP_ADMIN_PASSWORD: 'x'.repeat(257) }), /FHIRKEEP_ADMIN_PASSWORD: .*at most 256/);
});

test('environment values are typed and the base URL loses its trailing slash', () => {
  const c = loadConfig({ FHIRKEEP_PORT: '9090', FHIRKEEP_BASE_URL: 'https://fhir.example.org/', FHIRKEEP_DEV_NO_AUTH: '1', PATH: '/bin' });
  assert.equal(c.port, 9090);
  assert.equal(c.baseUrl, 'https://fhir.example.org');
  assert.equal(c.devNoAuth, true);
  assert.equal(loadConfig({ FHIRKEEP_DEMO: '0' }).demo, false);
});

test('port 0 leaves the base URL to be derived from the bound port', () => {
  assert.equal(parseConfig({ FHIRKEEP_PORT: '0' }).baseUrl, undefined);
});

test('invalid and unknown settings stop the start, naming each one', () => {
  const bad = () => loadConfig({ FHIRKEEP_PORT: 'eighty', FHIRKEEP_LOG_LEVEL: 'loud', FHIRKEEP_PROT: '1' });
  assert.throws(bad, (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /FHIRKEEP_PORT/);
    assert.match(e.message, /FHIRKEEP_LOG_LEVEL/);
    assert.match(e.message, /FHIRKEEP_PROT/);
    return true;
  });
  assert.throws(() => parseConfig({ FHIRKEEP_DATABASE_URL: 'mysql://x' }), /postgres/);
  assert.throws(() => parseConfig({ FHIRKEEP_PORT: '70000' }), ConfigError);
  assert.throws(() => parseConfig({ FHIRKEEP_DEV_NO_AUTH: 'yes' }), ConfigError);
  assert.throws(() => parseConfig({ FHIRKEEP_TLS_CERT: 'cert.pem' }), /together/);
  assert.throws(() => parseConfig({ FHIRKEEP_DEFAULT_COUNT: '500', FHIRKEEP_MAX_COUNT: '100' }), /DEFAULT_COUNT/);
});

test('a config file is read, and the environment overrides it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fhirkeep-config-'));
  const file = join(dir, 'fhirkeep.json');
  writeFileSync(file, JSON.stringify({ FHIRKEEP_PORT: 7070, FHIRKEEP_LOG_LEVEL: 'warn' }));
  const c = loadConfig({ FHIRKEEP_CONFIG: file, FHIRKEEP_LOG_LEVEL: 'debug' });
  assert.equal(c.port, 7070);
  assert.equal(c.logLevel, 'debug');
  writeFileSync(file, '{not json');
  assert.throws(() => loadConfig({ FHIRKEEP_CONFIG: file }), /not valid JSON/);
  assert.throws(() => loadConfig({ FHIRKEEP_CONFIG: join(dir, 'missing.json') }), /Cannot read/);
});

test('the key-encryption key: 32 bytes in base64url, never echoed when wrong', () => {
  const key = Buffer.alloc(32, 7);
  assert.deepEqual(parseConfig({ FHIRKEEP_KEY_ENCRYPTION_KEY: key.toString('base64url') }).keyEncryptionKey, key);
  assert.equal(parseConfig({}).keyEncryptionKey, undefined);
  assert.throws(
    () => parseConfig({ FHIRKEEP_KEY_ENCRYPTION_KEY: 'too-short-secret' }),
    (e: unknown) => e instanceof ConfigError && /FHIRKEEP_KEY_ENCRYPTION_KEY: must be 32 random bytes/.test(e.message) && !e.message.includes('too-short-secret'),
  );
});

test('the metrics token: unset by default (loopback only); a bearer token of 16+ characters; never echoed when wrong', () => {
  assert.equal(parseConfig({}).metricsToken, undefined);
  assert.equal(loadConfig({ FHIRKEEP_METRICS_TOKEN: '' }).metricsToken, undefined, 'empty means unset');
  const token = 'a'.repeat(16) + '-._~+/==';
  assert.equal(parseConfig({ FHIRKEEP_METRICS_TOKEN: token }).metricsToken, token);
  for (const bad of ['fifteen-chars-x', 'has a space in it, long enough', 'quote"secret-value-long-enough']) {
    assert.throws(
      () => parseConfig({ FHIRKEEP_METRICS_TOKEN: bad }),
      (e: unknown) => e instanceof ConfigError && /FHIRKEEP_METRICS_TOKEN: must be/.test(e.message) && !e.message.includes(bad),
      bad,
    );
  }
});

test('a read replica: only beside FHIRKEEP_DATABASE_URL, its pool sized like the primary unless told', () => {
  const primary = 'postgres://fhirkeep@db-primary/fhirkeep';
  assert.equal(parseConfig({ FHIRKEEP_DATABASE_URL: primary }).replica, undefined);
  const c = parseConfig({ FHIRKEEP_DATABASE_URL: primary, FHIRKEEP_DATABASE_POOL_SIZE: '12', FHIRKEEP_DATABASE_REPLICA_URL: 'postgresql://fhirkeep@db-replica/fhirkeep' });
  assert.deepEqual(c.replica, { url: 'postgresql://fhirkeep@db-replica/fhirkeep', poolSize: 12, maxLagMs: 5000 });
  const sized = parseConfig({ FHIRKEEP_DATABASE_URL: primary, FHIRKEEP_DATABASE_REPLICA_URL: primary, FHIRKEEP_DATABASE_REPLICA_POOL_SIZE: '4', FHIRKEEP_REPLICA_MAX_LAG_MS: '250' });
  assert.deepEqual(sized.replica, { url: primary, poolSize: 4, maxLagMs: 250 });
  assert.throws(() => parseConfig({ FHIRKEEP_DATABASE_REPLICA_URL: primary }), /FHIRKEEP_DATABASE_REPLICA_URL needs FHIRKEEP_DATABASE_URL: the embedded database has no replicas/);
  assert.throws(() => parseConfig({ FHIRKEEP_DATABASE_URL: primary, FHIRKEEP_DATABASE_REPLICA_POOL_SIZE: '4' }), /FHIRKEEP_DATABASE_REPLICA_POOL_SIZE needs FHIRKEEP_DATABASE_REPLICA_URL/);
  assert.throws(() => parseConfig({ FHIRKEEP_DATABASE_URL: primary, FHIRKEEP_DATABASE_REPLICA_URL: 'mysql://x' }), /FHIRKEEP_DATABASE_REPLICA_URL: must be a postgres/);
  assert.throws(() => parseConfig({ FHIRKEEP_REPLICA_MAX_LAG_MS: '0' }), /FHIRKEEP_REPLICA_MAX_LAG_MS/);
});
