import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../config/load.js';
import { trustProxyProblem } from './trust-proxy.js';

test('FHIRKEEP_TRUST_PROXY takes addresses, CIDR ranges, named ranges or a hop count', () => {
  assert.deepEqual(parseConfig({ FHIRKEEP_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8,loopback' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'loopback']);
  assert.equal(parseConfig({ FHIRKEEP_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(parseConfig({}).trustProxy, undefined, 'unset: no proxy is trusted');
});

test('anything else stops the start, and trusting every hop is refused', () => {
  for (const bad of ['true', '*', '10.0.0.0/33', '::1/129', 'proxy.example', '0', '11', '10.0.0.1/8/2']) {
    assert.ok(trustProxyProblem(bad) !== undefined, bad);
  }
  assert.throws(() => parseConfig({ FHIRKEEP_TRUST_PROXY: 'true' }), /FHIRKEEP_TRUST_PROXY/);
});
