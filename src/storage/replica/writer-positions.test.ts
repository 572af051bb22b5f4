import assert from 'node:assert/strict';
import { test } from 'node:test';
import { walPosition } from './wal-position.js';
import { WriterPositions } from './writer-positions.js';

test('WAL positions order as PostgreSQL orders them', () => {
  assert.equal(walPosition('0/3015F90'), 0x3015f90n);
  assert.equal(walPosition('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
  assert.ok(walPosition('1/0') > walPosition('0/FFFFFFFF'));
  assert.throws(() => walPosition('nonsense'), /Not a WAL position/);
});

test('a writer reads from the primary until the replica replays a primary position sampled after its commit', () => {
  const p = new WriterPositions(10);
  p.wrote('client:a', 100);
  assert.ok(p.mustReadPrimary('client:a', 0n), 'before any sample: the primary');
  assert.ok(!p.mustReadPrimary('client:b', 0n), 'a caller that wrote nothing: the replica');
  assert.ok(!p.mustReadPrimary(undefined, 0n));
  p.sampled({ startedAt: 90, position: 500n });
  assert.ok(p.mustReadPrimary('client:a', 500n), 'a sample started before the commit does not settle it');
  p.sampled({ startedAt: 110, position: 700n });
  assert.ok(p.mustReadPrimary('client:a', 699n));
  assert.ok(!p.mustReadPrimary('client:a', 700n));
  p.replayed(700n);
  assert.equal(p.size, 0, 'replayed writes are forgotten');
});

test('a newer write of the same writer needs a newer sample', () => {
  const p = new WriterPositions(10);
  p.wrote('client:a', 100);
  p.sampled({ startedAt: 110, position: 700n });
  p.wrote('client:a', 120);
  assert.ok(p.mustReadPrimary('client:a', 700n));
  p.sampled({ startedAt: 130, position: 800n });
  assert.ok(!p.mustReadPrimary('client:a', 800n));
});

test('writers pushed out of the bounded list make a floor for everyone rather than being forgotten', () => {
  const p = new WriterPositions(2);
  p.wrote('client:a', 100);
  p.sampled({ startedAt: 110, position: 700n });
  p.wrote('client:b', 120);
  p.wrote('client:c', 130);
  assert.equal(p.size, 2);
  assert.ok(p.mustReadPrimary('client:a', 699n), 'the evicted writer still reads from the primary');
  assert.ok(p.mustReadPrimary('client:z', 699n), 'and so does everyone, until the replica passes the floor');
  p.sampled({ startedAt: 140, position: 900n });
  assert.ok(!p.mustReadPrimary('client:z', 700n));
  for (const [writer, at] of [['client:d', 150], ['client:e', 152], ['client:f', 154]] as const) p.wrote(writer, at);
  assert.ok(p.mustReadPrimary('client:z', 900n), 'an evicted writer waiting for its sample holds everyone until it comes');
  p.sampled({ startedAt: 160, position: 1000n });
  assert.ok(!p.mustReadPrimary('client:z', 1000n));
  p.replayed(1000n);
  assert.equal(p.size, 0);
});
