/**
 * Reads over the mTLS listener (issue 6), authenticated by a client certificate Fhirkeep's CA
 * signed for a certificate key of the bench's secret client: each request on a new connection
 * (a full TLS 1.3 handshake with the certificate, then the read), and on kept-alive connections
 * (the certificate's cost per request, to set beside the bearer and static-key reads).
 */
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { connect, createSecureContext, type SecureContext } from 'node:tls';
import { Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { createKey, fhirkeepCli } from './auth-workloads.js';
import { ERROR_SAMPLES, measure, measureRun, runResult, type ClientTls, type CpuProbe, type RunResult } from './load.js';
import type { Server } from './process.js';
import type { Row, Timing } from './workloads.js';

export const MTLS_NEW_CONNECTION = 'mTLS read (new connection each: handshake + read)';
export const MTLS_KEEP_ALIVE = 'mTLS read (keep-alive)';

/** What a request with only a certificate sends: a token that is no access token, which the listener ignores. */
const CERTIFICATE_AUTHORIZATION = 'Bearer client-certificate';

/**
 * A certificate key for `clientId` (`fhirkeep key create --type certificate`), an EC P-256 key
 * pair and a CSR with the key's CN made as a client would, signed with `fhirkeep cert sign`.
 */
export async function benchCertificate(dataDir: string, clientId: string): Promise<ClientTls> {
  const { keyId, certificateCn } = await createKey(dataDir, clientId, 'certificate');
  if (certificateCn === undefined) throw new Error('key create --type certificate printed no certificate_cn');
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: `CN=${certificateCn}`, keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
  const csrFile = join(dirname(dataDir), 'bench-client.csr');
  writeFileSync(csrFile, csr.toString('pem'));
  const signed = JSON.parse(await fhirkeepCli(dataDir, ['--json', 'cert', 'sign', '--key', keyId, csrFile])) as { certificate?: unknown; ca_certificate?: unknown };
  if (typeof signed.certificate !== 'string' || typeof signed.ca_certificate !== 'string') throw new Error(`cert sign printed no certificate: ${JSON.stringify(signed)}`);
  return {
    ca: signed.ca_certificate,
    cert: signed.certificate,
    key: KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString(),
    // The listener's own certificate, from the same CA, names localhost; the bench dials 127.0.0.1.
    servername: 'localhost',
  };
}

/**
 * The two mTLS rows, reading `readPath()` on the listener at `url` (e.g. https://127.0.0.1:PORT),
 * `timing.connections` at once like every row. `server` is the Fhirkeep process behind it.
 */
export async function mtlsRows(server: Server, url: string, tls: ClientTls, readPath: () => string, timing: Timing, cpu: CpuProbe): Promise<Row[]> {
  const context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key });
  const newConnections = (seconds: number): Promise<RunResult> => readOnNewConnections(url, tls.servername, context, readPath, timing.connections, seconds);
  if (timing.warmupSeconds > 0) await newConnections(timing.warmupSeconds);
  const handshake = await measureRun(() => newConnections(timing.seconds), cpu);
  server.assertRunning();

  // Kept connections pay the handshake once: what is left is the certificate's cost per request.
  const next = () => ({ method: 'GET' as const, path: readPath(), headers: { authorization: CERTIFICATE_AUTHORIZATION } });
  const keepAlive = await measure({ url, connections: timing.connections, tls, next }, timing.warmupSeconds, timing.seconds, cpu);
  server.assertRunning();
  return [
    { name: MTLS_NEW_CONNECTION, unit: 'req/s', ...handshake },
    { name: MTLS_KEEP_ALIVE, unit: 'req/s', ...keepAlive },
  ];
}

/**
 * `loops` closed loops for `seconds`, each request a new TLS connection with the client
 * certificate (autocannon cannot open one per request), timed from the connect to the whole body.
 */
export async function readOnNewConnections(
  url: string,
  servername: string,
  secureContext: SecureContext,
  readPath: () => string,
  loops: number,
  seconds: number,
): Promise<RunResult> {
  const { hostname, port } = new URL(url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let connectionErrors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const once = (): Promise<void> =>
    new Promise((done) => {
      let settled = false;
      const resolve = (): void => {
        settled = true;
        done();
      };
      const t = performance.now();
      // A socket of its own and no agent: nothing pools it or keeps a TLS session to resume, so each is a full handshake.
      const req = request(
        {
          host: hostname,
          port,
          createConnection: () => connect({ host: hostname, port: Number(port), servername, secureContext }),
          path: readPath(),
          headers: { accept: 'application/fhir+json', authorization: CERTIFICATE_AUTHORIZATION },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status >= 200 && status <= 299) latencies.push(performance.now() - t);
            else if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(`${status} ${Buffer.concat(chunks).toString().slice(0, 300)}`);
            resolve();
          });
          res.on('error', fail);
        },
      );
      function fail(e: Error): void {
        if (settled) return;
        connectionErrors++;
        if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(`connection: ${e.message}`);
        resolve();
      }
      req.on('error', fail);
      // As autocannon's default timeout: a request that hangs is an error, not the end of the row.
      req.setTimeout(10_000, () => req.destroy(new Error('no response within 10 s')));
      req.end();
    });
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) await once();
  };
  await Promise.all(Array.from({ length: loops }, loop));
  return runResult({ latencies, statuses, errorSamples, connectionErrors, seconds: (performance.now() - started) / 1000 });
}
