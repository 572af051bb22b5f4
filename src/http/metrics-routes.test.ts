import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopback } from './metrics-routes.js';

test('loopback peers: 127.0.0.0/8, ::1 and their IPv4-mapped form; nothing else', () => {
  for (const ok of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(ok), ok);
  for (const no of [undefined, '', '192.0.2.2', '10.0.0.1', '::ffff:192.0.2.2', 'fd00::2', '::', '0.0.0.0', '1127.0.0.1', '127.0.0.1.example', 'localhost']) {
    assert.ok(!isLoopback(no), String(no));
  }
});
