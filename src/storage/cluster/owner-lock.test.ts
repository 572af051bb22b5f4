import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { claimOwnership, releaseOwnership } from './owner-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'fhirkeep-lock-'));
const lockFile = join(dir, 'fhirkeep.pid');
const children: ChildProcess[] = [];
afterEach(() => rmSync(lockFile, { force: true }));
after(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function live(command: string, args: string[]): number {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  return child.pid ?? 0;
}

test('a free directory is claimed with our pid, and claiming it again from the same process is fine', () => {
  assert.deepEqual(claimOwnership(lockFile), { kind: 'claimed' });
  assert.equal(readFileSync(lockFile, 'utf8'), `${process.pid}\n`);
  assert.deepEqual(claimOwnership(lockFile), { kind: 'claimed' });
});

test('a live Node process keeps its claim', () => {
  const other = live(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  writeFileSync(lockFile, `${other}\n`);
  assert.deepEqual(claimOwnership(lockFile), { kind: 'owned-by', pid: other });
  releaseOwnership(lockFile);
  assert.ok(existsSync(lockFile), 'release never removes another process’s claim');
});

test('a claim by a dead process, or by a recycled pid that is no Node process, is taken over', () => {
  writeFileSync(lockFile, '2147483646\n');
  assert.deepEqual(claimOwnership(lockFile), { kind: 'claimed' });
  writeFileSync(lockFile, `${live('sleep', ['60'])}\n`);
  assert.deepEqual(claimOwnership(lockFile), { kind: 'claimed' });
  assert.equal(readFileSync(lockFile, 'utf8'), `${process.pid}\n`);
  releaseOwnership(lockFile);
  assert.equal(existsSync(lockFile), false);
});
