/**
 * `npm test`: runs every test file twice, on the two PostgreSQL engines Fhirkeep supports —
 * the embedded cluster (binaries from npm) and the system's PostgreSQL (Debian's 15 here) —
 * each started in a temporary directory and stopped afterwards. With FHIRKEEP_TEST_DATABASE_URL
 * set, runs once against that server instead; with FHIRKEEP_TEST_ENGINE=embedded, on the embedded
 * cluster only. Ends with one line "N passed, N failed".
 * Arguments, if any, are the test files to run (default: every *.test.ts under src, test, bench).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedBinaries, systemBinaries, type PgBinaries } from '../src/storage/cluster/binaries.js';
import { freePort } from '../src/storage/cluster/free-port.js';
import { openLocalCluster, type LocalCluster } from '../src/storage/cluster/local-cluster.js';
import { claimOwnership } from '../src/storage/cluster/owner-lock.js';
import { stopPostmaster } from '../src/storage/cluster/postmaster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : ['src', 'test', 'bench'].flatMap((d) => findTests(join(root, d)));
const CLUSTER_DIR_PREFIX = 'fhirkeep-test-pg-';

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
/** Set by Ctrl-C (or SIGTERM): no further phase starts; clusters are stopped and removed. */
let interrupted: NodeJS.Signals | undefined;
/** Clusters and their directories to remove however the run ends (failure, Ctrl-C). */
const running = new Map<string, LocalCluster | undefined>();
const children = new Set<ChildProcess>();

async function main(): Promise<number> {
  const external = process.env.FHIRKEEP_TEST_DATABASE_URL;
  if (external !== undefined && external !== '') {
    await runPhase('external PostgreSQL (FHIRKEEP_TEST_DATABASE_URL)', external);
  } else {
    await removeLeftoverClusters();
    await withCluster('embedded PostgreSQL', await embeddedBinaries());
    const system = systemBinaries();
    if (interrupted !== undefined) {
      // Nothing more to start.
    } else if (process.env.FHIRKEEP_TEST_ENGINE === 'embedded') {
      // One engine is enough for a long run (npm run fuzz).
      console.log('\nSKIPPED the system-PostgreSQL phase (FHIRKEEP_TEST_ENGINE=embedded)');
    } else if (system !== undefined) {
      await withCluster(`system PostgreSQL (${system.initdb})`, system);
    } else if (process.env.FHIRKEEP_TEST_SKIP_EXTERNAL_PG === '1') {
      console.log('\nSKIPPED the system-PostgreSQL phase: no initdb/pg_ctl found (FHIRKEEP_TEST_SKIP_EXTERNAL_PG=1)');
    } else {
      console.error('\nFAILED: no system PostgreSQL server binaries (initdb, pg_ctl) found: install postgresql-15, or set FHIRKEEP_TEST_SKIP_EXTERNAL_PG=1');
      total.failed++;
    }
  }
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
  console.log(`\n${total.passed} passed, ${total.failed} failed${skipped}`);
  if (interrupted !== undefined) return 130;
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

async function withCluster(name: string, binaries: PgBinaries): Promise<void> {
  if (interrupted !== undefined) return;
  const dataDir = mkdtempSync(join(tmpdir(), CLUSTER_DIR_PREFIX));
  running.set(dataDir, undefined);
  try {
    // The cluster may run as an unprivileged user (when we are root): it must reach the directory.
    chmodSync(dataDir, 0o755);
    const started = performance.now();
    const cluster = await openLocalCluster({ dataDir, binaries, mode: 'own', tcpPort: await freePort(), log: () => {} });
    running.set(dataDir, cluster);
    if (interrupted !== undefined) return;
    console.log(`\n${name}: initialised and started in ${Math.round(performance.now() - started)} ms`);
    const c = cluster.connection;
    await runPhase(name, `postgres://${c.user}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/postgres`);
  } finally {
    await removeCluster(dataDir);
  }
}

const removals = new Map<string, Promise<void>>();

/** Stops a test cluster and removes its directory, once however many callers ask (finally, Ctrl-C). */
function removeCluster(dataDir: string): Promise<void> {
  let removal = removals.get(dataDir);
  if (removal === undefined) {
    const cluster = running.get(dataDir);
    removal = Promise.resolve(cluster?.stop()).finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      running.delete(dataDir);
    });
    removals.set(dataDir, removal);
  }
  return removal;
}

/** Clusters of an earlier run that was killed outright (no chance to clean up): stopped and removed. */
async function removeLeftoverClusters(): Promise<void> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(CLUSTER_DIR_PREFIX))) {
    const dataDir = join(tmpdir(), name);
    // A live harness still owns its directory; a dead one's claim is taken over.
    if (!existsSync(join(dataDir, 'fhirkeep.pid')) || claimOwnership(join(dataDir, 'fhirkeep.pid')).kind !== 'claimed') continue;
    console.log(`removing the test cluster a killed run left in ${dataDir}`);
    await stopPostmaster(join(dataDir, 'pg'), 60_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runPhase(name: string, url: string): Promise<void> {
  console.log(`\n=== ${files.length} test files on ${name} ===\n`);
  const tapDir = mkdtempSync(join(tmpdir(), 'fhirkeep-tap-'));
  const tapFile = join(tapDir, 'results.tap');
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files.map((f) => relative(root, f)),
  ];
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FHIRKEEP_TEST_DATABASE_URL: url },
    });
    children.add(child);
    child.once('exit', (exitCode) => {
      children.delete(child);
      resolve(exitCode);
    });
  });
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  rmSync(tapDir, { recursive: true, force: true });
  const count = (label: string): number => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const phase = { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
  if (code !== 0 && phase.failed === 0) phase.failed = 1; // the runner itself failed
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${name}: ${phase.passed} passed, ${phase.failed} failed, ${phase.skipped} skipped (${seconds} s)`);
  total.passed += phase.passed;
  total.failed += phase.failed;
  total.skipped += phase.skipped;
}

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

async function removeAll(): Promise<void> {
  await Promise.allSettled([...running.keys()].map(removeCluster));
}

// Ctrl-C reaches the test runner too (same process group), which ends the running phase; main
// then starts nothing more, and every cluster is stopped and removed on the way out.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted !== undefined) return;
    interrupted = signal;
    console.error(`\n${signal}: stopping the test clusters`);
    // A signal sent to us alone (a CI runner's SIGTERM, a kill) must reach the test runner too.
    for (const child of children) child.kill(signal);
  });
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(e);
    await removeAll();
    process.exit(1);
  },
);
