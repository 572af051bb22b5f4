import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedCache } from './bounded-cache.js';

test('keeps at most its capacity, dropping the oldest; makes a value only when missing', () => {
  const cache = new BoundedCache<string, number>(2);
  let made = 0;
  const make = () => ++made;
  assert.equal(cache.getOrSet('a', make), 1);
  assert.equal(cache.getOrSet('a', make), 1);
  cache.set('b', 2);
  cache.set('c', 3);
  assert.equal(cache.get('a'), undefined, 'the oldest went');
  assert.equal(cache.get('b'), 2);
  cache.set('b', 4);
  assert.equal(cache.get('c'), 3, 'replacing a key evicts nothing');
  cache.delete('b');
  assert.equal(cache.get('b'), undefined);
});
