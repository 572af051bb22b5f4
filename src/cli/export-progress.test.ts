import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExportFile, ExportProgress } from '../storage/bulk/export-job-store.js';
import { exportProgressBar } from './export-progress.js';

const types = ['Encounter', 'Observation', 'Patient'];
const file = (type: string, n: number, count: number): ExportFile => ({ type, name: `${type}-${n}.ndjson`, count, bytes: count * 100 });
const at = (typeIndex: number, files: ExportFile[]): ExportProgress => ({ types, typeIndex, afterId: undefined, files, total: files.reduce((n, f) => n + f.count, 0) });

function clock() {
  let ms = 0;
  return { now: () => ms, advance: (by: number) => (ms += by) };
}

test('on a terminal: one line redrawn in place with type i/n, resources, rate and time; a note goes above it; stop clears it', () => {
  const drawn: string[] = [];
  const notes: string[] = [];
  const time = clock();
  const bar = exportProgressBar({ terminal: { write: (t) => drawn.push(t) }, note: (t) => notes.push(t), now: time.now });
  bar.update(at(0, []));
  time.advance(2000);
  bar.update(at(1, [file('Encounter', 1, 400)]));
  time.advance(2000);
  bar.update(at(1, [file('Encounter', 1, 400), file('Observation', 2, 1000)]));
  assert.deepEqual(drawn, [
    '\rExporting Encounter (1/3): 0 resources, 0/s, 0.0 s\x1b[K',
    '\rExporting Observation (2/3): 400 resources, 200/s, 2.0 s\x1b[K',
    '\rExporting Observation (2/3): 1400 resources, 350/s, 4.0 s\x1b[K',
  ]);
  assert.ok(drawn.every((t) => !t.includes('\n')), 'never a new line');
  drawn.length = 0;
  bar.note('Stopping');
  assert.deepEqual(drawn, ['\r\x1b[KStopping\n', '\rExporting Observation (2/3): 1400 resources, 350/s, 4.0 s\x1b[K']);
  drawn.length = 0;
  bar.update(at(3, [file('Encounter', 1, 400), file('Observation', 2, 1000), file('Patient', 3, 5)]));
  bar.stop();
  assert.deepEqual(drawn, ['\rExported 3/3 types: 1405 resources, 351/s, 4.0 s\x1b[K', '\r\x1b[K']);
  assert.deepEqual(notes, [], 'nothing printed as lines on a terminal');
});

test('elsewhere: one line per type finished, with its count over all its files; checkpoints within a type print nothing', () => {
  const notes: string[] = [];
  const time = clock();
  const bar = exportProgressBar({ terminal: undefined, note: (t) => notes.push(t), now: time.now });
  bar.update(at(0, []));
  time.advance(500);
  bar.update(at(0, [file('Encounter', 1, 10)]));
  assert.deepEqual(notes, []);
  bar.update(at(1, [file('Encounter', 1, 10)]));
  bar.update(at(1, [file('Encounter', 1, 10), file('Observation', 2, 3)]));
  time.advance(1000);
  bar.update(at(3, [file('Encounter', 1, 10), file('Observation', 2, 3), file('Observation', 3, 2), file('Patient', 4, 7)]));
  bar.note('done');
  bar.stop();
  assert.deepEqual(notes, ['Encounter: 10 resources (1/3), 0.5 s', 'Observation: 5 resources (2/3), 1.5 s', 'Patient: 7 resources (3/3), 1.5 s', 'done']);
});
