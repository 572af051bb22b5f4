import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { parseBody } from './json-body.js';

const request = (body: string) => ({ headers: { 'content-type': 'application/json' }, body }) as unknown as FastifyRequest;
const filterBody = z.object({ filter: z.record(z.unknown()) }).strict();

test('a member named __proto__, anywhere and however escaped, is refused: zod would drop it or make it a prototype', () => {
  for (const text of [
    '{"filter": {"content": "body/weight", "__proto__": "x"}}',
    '{"filter": {"content": "body/weight", "__proto__": {"owner": "self"}}}',
    '{"filter": {"$or": [{"\\u005f_proto__": {}}]}}',
    '{"__proto__": {"filter": {}}}',
  ]) {
    assert.throws(() => parseBody(request(text), filterBody), (e: unknown) => e instanceof FhirkeepError && e.code === 'bad-request' && /__proto__/.test(e.message), text);
  }
});

test('other bodies are parsed as sent, members named like Object.prototype\'s included', () => {
  const parsed = parseBody(request('{"filter": {"content": "body/weight", "constructor": {"prototype": 1}, "toString": "x"}}'), filterBody);
  assert.deepEqual(parsed, { filter: { content: 'body/weight', constructor: { prototype: 1 }, toString: 'x' } });
  assert.throws(() => parseBody(request('{"filter": '), filterBody), /not valid JSON/);
});
