import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { childPids, cleanUp, cpuMs, freePort, machineBusyMs, rssMb, startServer } from './process.js';

const listening = (code: string): string[] => ['--input-type=module', '-e', code];

test('startServer waits for the ready path to answer 200, and stop ends the process', async () => {
  const port = await freePort();
  const server = await startServer({
    name: 'tiny',
    // Ready only after 300 ms: 503 until then.
    args: listening(`
      import { createServer } from 'node:http';
      const t0 = Date.now();
      createServer((req, res) => { res.statusCode = Date.now() - t0 > 300 ? 200 : 503; res.end(); }).listen(${port}, '127.0.0.1');`),
    env: {},
    port,
    readyPath: '/readyz',
  });
  assert.ok(server.readyMs >= 300, `ready after ${server.readyMs} ms`);
  assert.ok(rssMb(server.pid) > 1);
  server.assertRunning();
  await server.stop();
  assert.throws(() => server.assertRunning(), /tiny exited/);
});

test('a server that exits before it is ready fails the start with its output', async () => {
  const port = await freePort();
  await assert.rejects(
    startServer({ name: 'broken', args: listening('console.error("no database"); process.exit(3)'), env: {}, port, readyPath: '/readyz' }),
    /broken exited \(3\) before it was ready:\nno database/,
  );
});

test("the caller's FHIRKEEP_ settings do not leak into a server", async () => {
  process.env.FHIRKEEP_DATABASE_URL = 'postgres://elsewhere/db';
  const port = await freePort();
  try {
    const server = await startServer({
      name: 'env',
      args: listening(`
        import { createServer } from 'node:http';
        createServer((req, res) => { res.statusCode = process.env.FHIRKEEP_DATABASE_URL === undefined && process.env.FHIRKEEP_PORT === '${port}' ? 200 : 500; res.end(); }).listen(${port}, '127.0.0.1');`),
      env: { FHIRKEEP_PORT: String(port) },
      port,
      readyPath: '/',
      timeoutMs: 5000,
    });
    await server.stop();
  } finally {
    delete process.env.FHIRKEEP_DATABASE_URL;
  }
});

test('cleanUp stops every server still running', async () => {
  const port = await freePort();
  const server = await startServer({
    name: 'left running',
    args: listening(`import { createServer } from 'node:http'; createServer((q, s) => s.end()).listen(${port}, '127.0.0.1');`),
    env: {},
    port,
    readyPath: '/',
  });
  await cleanUp();
  assert.throws(() => server.assertRunning(), /exited/);
});

test('CPU and process accounting from /proc', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
  try {
    await once(child, 'spawn');
    assert.ok(childPids(process.pid).includes(child.pid ?? -1));
    const busy = machineBusyMs();
    const mine = cpuMs(process.pid);
    // Burn CPU until this process has used 100 ms of it (wall time varies with the machine's load).
    const deadline = Date.now() + 10_000;
    while (cpuMs(process.pid) - mine < 100 && Date.now() < deadline);
    assert.ok(cpuMs(process.pid) - mine >= 100);
    assert.ok(machineBusyMs() - busy >= 100);
    assert.equal(cpuMs(2 ** 22 + 7), 0, 'a pid that does not exist');
  } finally {
    child.kill();
  }
});
