import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { outcomeOf } from '../errors/operation-outcome.js';

/** Node's HTTP parser errors that have an answer of their own; any other is a malformed request (400). */
const PARSER_ERRORS: Readonly<Record<string, FhirkeepError['code']>> = {
  HPE_HEADER_OVERFLOW: 'headers-too-large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request-timeout',
};

/**
 * Answers a request Node's HTTP parser refused before Fastify saw it (headers over the size
 * limit, a malformed request line, a timeout) with an OperationOutcome, like every other refusal,
 * instead of Fastify's own JSON; written on the raw socket, which is then closed (as Node does).
 */
export function answerClientError(log: FastifyBaseLogger, error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = new FhirkeepError(PARSER_ERRORS[error.code ?? ''] ?? 'bad-request', error.code === 'HPE_HEADER_OVERFLOW' ? 'The request headers (or the URL) exceed the size limit' : 'Malformed HTTP request');
  log.debug({ code: error.code }, 'refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify(outcomeOf(refusal));
    socket.write(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/fhir+json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
