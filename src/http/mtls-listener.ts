import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ClosingListener } from './close-listeners.js';

export interface MtlsListenerOptions {
  readonly host: string;
  readonly port: number;
  /** The listener's own certificate and key (PEM). */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  /** The CA whose client certificates the TLS layer marks authorized (Fhirkeep's own). */
  readonly ca: string;
}

export interface MtlsListener extends ClosingListener {
  readonly port: number;
}

/**
 * The second HTTPS listener (FHIRKEEP_MTLS_PORT): same routes as the main one (Fastify's router
 * serves both), but the handshake asks for a client certificate. A missing or foreign one does
 * not fail the handshake (rejectUnauthorized: false): the request then gets a 401 that says why,
 * as an OperationOutcome or OAuth error, instead of a bare TLS alert a client cannot read.
 */
export async function listenMtls(app: FastifyInstance, o: MtlsListenerOptions): Promise<MtlsListener> {
  await app.ready();
  const server: Server = createServer(
    // TLS 1.3: no renegotiation, so the certificate read once per connection cannot change under it.
    { cert: o.cert, key: o.key, ca: [o.ca], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' },
    (req, res) => app.routing(req, res),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    cutOff: () => server.closeAllConnections(),
  };
}
