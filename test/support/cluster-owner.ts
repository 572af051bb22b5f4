/**
 * A separate Node process that owns an embedded cluster the way `fhirkeep serve` does, so
 * tests can kill -9 a real owner. Run as `node --import tsx cluster-owner.ts DATA_DIR [TCP_PORT]`:
 * prints one line `ready` once the cluster answers; SIGTERM stops the cluster, then exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { embeddedBinaries } from '../../src/storage/cluster/binaries.js';
import { openLocalCluster } from '../../src/storage/cluster/local-cluster.js';

export interface ClusterOwner {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** Starts an owner process on `dataDir` and waits until its cluster is ready. */
export async function startClusterOwner(dataDir: string, tcpPort?: number): Promise<ClusterOwner> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), dataDir, ...(tcpPort === undefined ? [] : [String(tcpPort)])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('ready\n')) resolve();
    });
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    void exited.then((code) => reject(new Error(`the cluster owner exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, pid: child.pid ?? 0, exited };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dataDir, port] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: cluster-owner.ts DATA_DIR [TCP_PORT]');
  const cluster = await openLocalCluster({
    dataDir,
    binaries: await embeddedBinaries(),
    mode: 'own',
    log: () => {},
    ...(port === undefined ? {} : { tcpPort: Number(port) }),
  });
  process.once('SIGTERM', () => void cluster.stop().then(() => process.exit(0)));
  setInterval(() => {}, 60_000);
  process.stdout.write('ready\n');
}
