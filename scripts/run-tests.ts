/**
 * `npm test`: runs every test file twice, on the two PostgreSQL engines Fhirkeep supports —
 * the embedded cluster (binaries from npm) and the system's PostgreSQL (Debian's 15 here) —
 * each started in a temporary directory and stopped afterwards. With FHIRKEEP_TEST_DATABASE_URL
 * set, runs once against that server instead. Ends with one line "N passed, N failed".
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedBinaries, systemBinaries, type PgBinaries } from '../src/storage/cluster/binaries.js';
import { freePort } from '../src/storage/cluster/free-port.js';
import { openLocalCluster, type LocalCluster } from '../src/storage/cluster/local-cluster.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : [...findTests(join(root, 'src')), ...findTests(join(root, 'test')), ...findTests(join(root, 'bench'))];

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const running = new Set<LocalCluster>();

async function main(): Promise<number> {
  const external = process.env.FHIRKEEP_TEST_DATABASE_URL;
  if (external !== undefined) {
    await runPhase('external PostgreSQL (FHIRKEEP_TEST_DATABASE_URL)', external);
  } else {
    await withCluster('embedded PostgreSQL', await embeddedBinaries());
    const system = systemBinaries();
    if (system !== undefined) {
      await withCluster(`system PostgreSQL (${system.initdb})`, system);
    } else if (process.env.FHIRKEEP_TEST_SKIP_EXTERNAL_PG === '1') {
      console.log('\nSKIPPED the system-PostgreSQL phase: no initdb/pg_ctl found (FHIRKEEP_TEST_SKIP_EXTERNAL_PG=1)');
    } else {
      console.error('\nNo system PostgreSQL server binaries (initdb, pg_ctl) found: install postgresql-15, or set FHIRKEEP_TEST_SKIP_EXTERNAL_PG=1');
      total.failed++;
    }
  }
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : '';
  console.log(`\n${total.passed} passed, ${total.failed} failed${skipped}`);
  return total.failed === 0 && total.passed > 0 ? 0 : 1;
}

async function withCluster(name: string, binaries: PgBinaries): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-test-pg-'));
  // The cluster may run as an unprivileged user (when we are root): it must reach the directory.
  chmodSync(dataDir, 0o755);
  const port = await freePort();
  const cluster = await openLocalCluster({ dataDir, binaries, mode: 'own', tcpPort: port, log: () => {} });
  running.add(cluster);
  try {
    const c = cluster.connection;
    await runPhase(name, `postgres://${c.user}:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/postgres`);
  } finally {
    await cluster.stop();
    running.delete(cluster);
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
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, FHIRKEEP_TEST_DATABASE_URL: url },
    });
    child.once('exit', resolve);
  });
  const tap = readFileSync(tapFile, 'utf8');
  rmSync(tapDir, { recursive: true, force: true });
  const count = (label: string): number => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  const phase = { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
  if (code !== 0 && phase.failed === 0) phase.failed = 1; // the runner itself failed
  console.log(`${name}: ${phase.passed} passed, ${phase.failed} failed, ${phase.skipped} skipped`);
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


async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().then(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    console.error(e);
    await stopAll();
    process.exit(1);
  },
);
