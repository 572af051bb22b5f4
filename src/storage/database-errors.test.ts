import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientFaultOf } from './database-errors.js';

test('data exceptions and program limits are the client\'s fault; other errors are not', () => {
  assert.equal(clientFaultOf({ code: '22021' })?.code, 'unprocessable');
  assert.equal(clientFaultOf({ code: '54000' })?.code, 'unprocessable');
  assert.equal(clientFaultOf({ code: '23505' }), undefined);
  assert.equal(clientFaultOf({ code: 'ECONNREFUSED' }), undefined);
  assert.equal(clientFaultOf(new Error('boom')), undefined);
  assert.equal(clientFaultOf(null), undefined);
});
