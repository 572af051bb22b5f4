import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, afterEach, before, test } from 'node:test';
import type postgres from 'postgres';
import { lockTable, until, type TableLock } from './support/table-lock.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { serveTarget, type ServeTarget } from './support/serve-target.js';

/**
 * `fhirkeep serve` stops gracefully on SIGTERM (docs/crash-safety.md): new connections are
 * refused at once, /readyz answers 503, requests in flight finish within
 * FHIRKEEP_SHUTDOWN_GRACE_SECONDS (then their connections are cut), the process exits 0 and its
 * embedded database is stopped. A second signal exits at once. A request is held "in flight" by
 * an ACCESS EXCLUSIVE lock the test takes on the resources table.
 */

let target: ServeTarget;
let sql: postgres.Sql | undefined;
const running = new Set<ServeProcess>();
const locks: TableLock[] = [];

before(async () => {
  target = await serveTarget();
});
afterEach(async () => {
  for (const lock of locks.splice(0)) await lock.release().catch(() => undefined);
  for (const serve of running) serve.child.kill('SIGKILL');
  await Promise.all([...running].map((s) => s.exited));
  await sql?.end({ timeout: 1 }).catch(() => undefined);
  sql = undefined;
});
after(() => target.remove());

async function start(settings: Record<string, string> = {}): Promise<ServeProcess> {
  const serve = await startServe({ ...target.settings, FHIRKEEP_DEV_NO_AUTH: '1', FHIRKEEP_DEMO: '0', ...settings });
  running.add(serve);
  void serve.exited.then(() => running.delete(serve));
  sql = target.connect();
  return serve;
}

/** Locks `resources` and sends a create on a connection of its own; resolves once the create waits for the lock. */
async function heldCreate(serve: ServeProcess): Promise<Socket> {
  const db = sql as postgres.Sql;
  locks.push(await lockTable(db, 'resources'));
  const socket = connect(serve.port, '127.0.0.1');
  await once(socket, 'connect');
  const body = JSON.stringify({ resourceType: 'Patient', gender: 'female' });
  socket.write(`POST /fhir/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await until('the create waits for the lock', async () => (await db`select 1 from pg_locks where relation = 'resources'::regclass and not granted`).length > 0);
  return socket;
}

/** Everything the server sends on `socket` until it closes it. */
async function readToEnd(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  await once(socket, 'close');
  return text;
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve('accepted');
    });
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Fhirkeep's own connections to its database (the embedded one's are gone with the cluster). */
async function fhirkeepConnections(): Promise<number> {
  // fhirkeep/<node>/<pool> for a node's pools (src/storage/database-activity.ts), fhirkeep for the others.
  const rows = await (sql as postgres.Sql)`select 1 from pg_stat_activity where starts_with(application_name, 'fhirkeep') and datname = current_database()`;
  return rows.length;
}

test('SIGTERM: the request in flight is answered, /readyz says 503, new connections are refused, exit 0, the database let go', async () => {
  const serve = await start({ FHIRKEEP_SHUTDOWN_GRACE_SECONDS: '20' });
  assert.equal((await fetch(`${serve.baseUrl}/readyz`)).status, 200);
  const postmaster = target.postmaster();
  assert.equal(postmaster !== undefined, target.embedded, 'serve runs the embedded cluster, or none');
  const socket = await heldCreate(serve);
  const answers = readToEnd(socket);

  const signalled = Date.now();
  serve.child.kill('SIGTERM');
  await serve.logged('shutting down');
  assert.equal(await refused(serve.port), 'ECONNREFUSED', 'the listener is closed at once');
  // On the connection still open (a load balancer's, say): the node says it is going away.
  socket.write('GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(serve.logs.some((l) => l.msg === 'shut down'), false, 'still waiting for the create');

  await locks[0]?.release();
  const text = await answers;
  const [created, readyz] = text.split(/(?=HTTP\/1\.1 )/);
  assert.match(created ?? '', /^HTTP\/1\.1 201 /, text);
  assert.match(readyz ?? '', /^HTTP\/1\.1 503 /, text);
  assert.match(readyz ?? '', /"reason":"shutting down"/);
  assert.deepEqual(await serve.exited, { code: 0, signal: null });
  assert.ok(Date.now() - signalled < 20_000, 'within the grace');
  if (target.embedded) {
    assert.ok(postmaster !== undefined);
    await until('the embedded postmaster has stopped', () => target.postmaster() === undefined, 5_000);
  } else {
    assert.equal(await fhirkeepConnections(), 0, 'the pool is closed');
  }

  // The create was acknowledged: it is there after a restart.
  const { location } = Object.fromEntries((created ?? '').split('\r\n').map((l) => [l.split(':')[0]?.toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const again = await start();
  assert.equal((await fetch(`${again.baseUrl}${new URL(location ?? '').pathname}`)).status, 200);
  again.child.kill('SIGTERM');
  assert.deepEqual(await again.exited, { code: 0, signal: null });
});

test('a request still running when the grace is over has its connection cut; the process still exits 0', async () => {
  const serve = await start({ FHIRKEEP_SHUTDOWN_GRACE_SECONDS: '1' });
  const socket = await heldCreate(serve);
  const answers = readToEnd(socket);
  const signalled = Date.now();
  serve.child.kill('SIGTERM');
  assert.equal(await answers, '', 'cut without an answer');
  assert.ok(Date.now() - signalled >= 1000, 'not before the grace');
  await serve.logged('requests still running after the shutdown grace');
  await locks[0]?.release();
  assert.deepEqual(await serve.exited, { code: 0, signal: null });
  // The pool waits up to 5 s for a query the cut request left running.
  assert.ok(Date.now() - signalled < 8_000, `exited ${Date.now() - signalled} ms after SIGTERM`);
});

test('a second SIGTERM exits at once, and the embedded database is told to stop too', async () => {
  const serve = await start({ FHIRKEEP_SHUTDOWN_GRACE_SECONDS: '60' });
  const socket = await heldCreate(serve);
  const answers = readToEnd(socket);
  serve.child.kill('SIGTERM');
  await serve.logged('shutting down');
  const second = Date.now();
  serve.child.kill('SIGTERM');
  assert.deepEqual(await serve.exited, { code: 143, signal: null });
  assert.ok(Date.now() - second < 2_000, `exited ${Date.now() - second} ms after the second SIGTERM`);
  assert.equal(await answers, '', 'the request in flight is dropped');
  if (target.embedded) {
    await until('the embedded postmaster has stopped', () => target.postmaster() === undefined, 10_000);
    // The lock's connection ended with the cluster: nothing left to release.
    locks.splice(0);
  }
});
