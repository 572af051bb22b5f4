import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressBlock } from './login-throttle.js';

test('addresses are counted per IPv4 address and per IPv6 /64', () => {
  assert.equal(addressBlock('192.0.2.7'), '192.0.2.7');
  assert.equal(addressBlock('::ffff:192.0.2.7'), '192.0.2.7', 'IPv4-mapped');
  assert.equal(addressBlock('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.equal(addressBlock('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(addressBlock('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressBlock('::1'), '0:0:0:0::/64');
  assert.equal(addressBlock('unknown'), 'unknown', 'not an address: counted as given');
});
