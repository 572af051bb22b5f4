import { type IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import type { KeyActor } from '../../src/auth/keys/key-service.js';
import type { Fhirkeep } from '../../src/server.js';
import { webCsr, type WebKeyKind } from './certificate-requests.js';

export const OPERATOR: KeyActor = { accountId: undefined, admin: true };

/** A client certificate and its private key (PEM), as a service keeps them. */
export interface ClientIdentity {
  readonly cert: string;
  readonly key: string;
}

/** A certificate key of a client with its signed certificate, made the documented way (key, CSR, signing). */
export interface CertificateKey extends ClientIdentity {
  readonly keyId: string;
  /** RFC 8705 `x5t#S256` as the CA reported it. */
  readonly thumbprint: string;
  /** Fhirkeep's CA: what a client trusts for the mTLS listener's own certificate. */
  readonly caPem: string;
}

export async function certificateKey(fhirkeep: Fhirkeep, clientId: string, kind: WebKeyKind = 'ec-p256'): Promise<CertificateKey> {
  const { key } = await fhirkeep.auth.serviceKeys.create(clientId, { type: 'certificate' }, OPERATOR);
  const { csrPem, keyPem } = await webCsr(kind, `CN=${key.certificateCn ?? ''}`);
  const signed = await fhirkeep.auth.serviceKeys.signCertificate(key.id, csrPem, OPERATOR);
  return { keyId: key.id, cert: signed.pem, key: keyPem, thumbprint: signed.thumbprint, caPem: signed.caPem };
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON (undefined when it is not JSON); loosely typed: each test reads the fields it expects. */
  readonly json: any;
  /** The request went over a kept-alive connection an earlier request opened. */
  readonly reused: boolean;
}

export interface HttpsCall {
  /** Trusted for the listener's certificate (its host name is checked as usual). */
  readonly ca: string;
  /** Presented in the handshake; none when absent. Ignored with `agent`, which holds its own. */
  readonly identity?: ClientIdentity | undefined;
  /** A keep-alive agent, to send several requests over one connection. */
  readonly agent?: Agent | undefined;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** An agent that keeps one connection open, presenting `identity`. */
export function keepAliveAgent(ca: string, identity: ClientIdentity | undefined): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1, ca: [ca], ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }) });
}

/** One HTTPS request (node:https, since fetch takes no client certificate). */
export function httpsRequest(url: string, o: HttpsCall): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const tls = o.agent === undefined ? { agent: false as const, ca: [o.ca], ...(o.identity === undefined ? {} : { cert: o.identity.cert, key: o.identity.key }) } : { agent: o.agent };
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {}, ...tls }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, reused: req.reusedSocket });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}
