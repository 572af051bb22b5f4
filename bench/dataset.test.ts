import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset, withId } from './dataset.js';

test('the data set is resources without ids, resourceType first, ready to POST', () => {
  const { source, resources } = loadDataset();
  assert.ok(resources.length > 1000, source);
  for (const r of resources.slice(0, 500)) {
    const parsed = JSON.parse(r.body) as { resourceType: string; id?: string };
    assert.equal(parsed.resourceType, r.type);
    assert.equal(parsed.id, undefined);
    assert.ok(r.body.startsWith(`{"resourceType":"${r.type}"`));
  }
});

test('withId puts the id right after resourceType and keeps the rest', () => {
  const r = { type: 'Patient', body: '{"resourceType":"Patient","gender":"female"}' };
  assert.equal(withId(r, 'p-1'), '{"resourceType":"Patient","id":"p-1","gender":"female"}');
  assert.equal(withId({ type: 'Basic', body: '{"resourceType":"Basic"}' }, 'b'), '{"resourceType":"Basic","id":"b"}');
});
