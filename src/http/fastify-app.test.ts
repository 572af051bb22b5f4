import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { createHttpApp, logWithoutSecretSegment } from './fastify-app.js';

test('a request logged as `req` shows its method and path: no query string, no header, no token in a path', async () => {
  const lines: string[] = [];
  const app = createHttpApp({ logger: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }), bodyLimit: 1024 });
  logWithoutSecretSegment(app, '/session/');
  app.get('/session/:token', async (request) => {
    request.log.info({ req: request }, 'looked at');
    return 'ok';
  });
  const res = await app.inject({ method: 'GET', url: '/session/s3cr3t-path-token?code=s3cr3t-code&state=s3cr3t-state', headers: { authorization: 'Bearer s3cr3t-bearer', cookie: 'sid=s3cr3t-cookie' } });
  assert.equal(res.statusCode, 200);
  const logged = lines.map((l) => JSON.parse(l) as { msg: string; req?: unknown; reqId?: string });
  assert.deepEqual(logged.find((l) => l.msg === 'looked at')?.req, { method: 'GET', path: '/session/{token}' });
  assert.ok(!lines.join('').includes('s3cr3t'), lines.join(''));
  assert.ok(logged.every((l) => l.reqId === res.headers['x-request-id']), 'every line carries the request id the answer names');
  await app.close();
});
