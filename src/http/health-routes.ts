import type { FastifyInstance } from 'fastify';

export interface HealthProbe {
  /** Resolves when the database answers; rejects otherwise. */
  readonly ping: () => Promise<void>;
  /** True once the node shuts down: a load balancer must send it nothing more. */
  readonly draining: () => boolean;
}

/**
 * `/healthz`: the process is alive. `/readyz`: it can serve, i.e. it is not shutting down and its
 * database answers (CONTRACT.md, docs/crash-safety.md).
 */
export function registerHealthRoutes(app: FastifyInstance, probe: HealthProbe): void {
  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    if (probe.draining()) return reply.status(503).header('connection', 'close').send({ status: 'unavailable', reason: 'shutting down' });
    try {
      await probe.ping();
      return await reply.send({ status: 'ready' });
    } catch (e) {
      request.log.warn({ err: e }, 'readiness check failed: database unreachable');
      return reply.status(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
}
