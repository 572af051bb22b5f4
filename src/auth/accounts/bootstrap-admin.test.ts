import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import postgres from 'postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.js';
import type { SecurityEvent } from '../security-events.js';
import { createAccountService, type AccountService } from './account-service.js';

let testDb: TestDatabase;
let service: AccountService;
const events: SecurityEvent[] = [];

before(async () => {
  testDb = await createTestDatabase();
  service = createAccountService({ db: testDb.db, record: (e) => events.push(e) });
});
after(() => testDb.drop());

test('an admin email already used by a non-admin account stops the bootstrap with a clear message', async () => {
  await service.create({ email: 'taken@example.org', password: 'a long enough password', roles: ['developer'] });
  await assert.rejects(service.bootstrapAdmin({ email: 'Taken@example.org' }), /FHIRKEEP_ADMIN_EMAIL Taken@example.org belongs to an account without the admin role/);
});

test('two nodes starting at once on an empty database make exactly one admin', async () => {
  // A second pool stands for a second node: separate connections, separate processes' view.
  const otherNode = postgres(testDb.url, { max: 4, onnotice: () => {} });
  try {
    const other = createAccountService({ db: { sql: otherNode }, record: (e) => events.push(e) });
    // Eight starts at once, half with another email, so that without the lock two would win.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0 ? service.bootstrapAdmin({ email: `admin${i}@localhost` }) : other.bootstrapAdmin({ email: `root${i}@localhost`, password: 'configured password' }),
      ),
    );
    const created = results.filter((r) => r.created);
    assert.equal(created.length, 1, JSON.stringify(results));
    const admins = (await service.list()).filter((a) => a.roles.includes('admin'));
    assert.equal(admins.length, 1);
    assert.equal(events.filter((e) => e.kind === 'account-create' && e.detail?.bootstrap === true).length, 1);

    // Whoever won, the admin can log in with what the bootstrap said (generated) or was given.
    const [winner] = created;
    assert.ok(winner?.created);
    const password = winner.password ?? 'configured password';
    if (winner.password !== undefined) assert.match(winner.password, /^[A-Za-z0-9_-]{20}$/, 'generated: 20 base64url characters');
    assert.equal((await service.authenticate(winner.email, password, { ip: '127.0.0.1' })).roles.includes('admin'), true);
  } finally {
    await otherNode.end();
  }
});

test('with an admin present, later starts do nothing, whatever the settings say', async () => {
  assert.deepEqual(await service.bootstrapAdmin({ email: 'someone-else@localhost', password: 'another password' }), { created: false });
  assert.equal(await service.findByEmail('someone-else@localhost'), undefined);
});
