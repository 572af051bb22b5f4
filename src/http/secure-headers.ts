import type { FastifyInstance } from 'fastify';

/** RFC 6797 §6.1: a year, and every subdomain (they serve the same users and cookies). */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Headers every response carries: `X-Content-Type-Options: nosniff`, so no browser reads a JSON
 * body (a resource holding HTML) as a page; and HSTS whenever the request came over HTTPS — to a
 * TLS listener, or through a trusted proxy saying so (X-Forwarded-Proto) — or the public base URL
 * is https (a TLS-terminating proxy in front). On plain HTTP behind neither it is left out:
 * browsers ignore it there (RFC 6797 §8.1), and a development server must not pin localhost.
 */
export function registerSecureHeaders(app: FastifyInstance, publicBaseIsHttps: () => boolean): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (request.protocol === 'https' || publicBaseIsHttps()) reply.header('strict-transport-security', HSTS);
    done();
  });
}
