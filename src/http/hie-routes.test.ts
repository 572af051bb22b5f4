import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import type { HieService } from '../auth/dialects/hie/hie-service.js';
import type { HieUserInfo } from '../auth/dialects/hie/user-info.js';
import { createHttpApp } from './fastify-app.js';
import { registerHieRoutes } from './hie-routes.js';

test('the request log never shows the user token that sign-out and token info carry in their paths', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const client = { id: 'c1', organizationId: 'o1', createdAt: new Date(), revokedAt: undefined };
  const hie = {
    clients: { authenticate: async () => client },
    sessions: { signOut: async () => {}, tokenInfo: async () => ({ email: 'dr@example.org' }) as unknown as HieUserInfo },
  } as unknown as HieService;
  const app = createHttpApp({ logger: pino({ level: 'info' }, sink), bodyLimit: 1024 });
  registerHieRoutes(app, { hie });
  const token = 'T'.repeat(43);
  try {
    assert.equal((await app.inject({ method: 'GET', url: `/api/1.0/sso/token/${token}` })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: `/api/1.0/sso/signout/${token}` })).statusCode, 200);
    // A partner calling sign-out with GET, or with a trailing segment, matches no route: still no token in the log.
    assert.equal((await app.inject({ method: 'GET', url: `/api/1.0/sso/signout/${token}` })).statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/1.0/sso/token/${token}/x?y=1` })).statusCode, 404);
  } finally {
    await app.close();
  }
  const logged = lines.join('');
  assert.ok(!logged.includes(token), logged);
  assert.match(logged, /"path":"\/api\/1\.0\/sso\/token\/\{token\}"/);
  assert.match(logged, /"path":"\/api\/1\.0\/sso\/signout\/\{token\}"/);
  assert.match(logged, /"path":"\/api\/1\.0\/sso\/token\/\{token\}\/x"/);
});
