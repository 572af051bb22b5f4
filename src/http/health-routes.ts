import type { FastifyInstance } from 'fastify';

export interface HealthProbe {
  /** Resolves when the database answers; rejects otherwise. */
  readonly ping: () => Promise<void>;
}

/** `/healthz`: the process is alive. `/readyz`: it can serve, i.e. its database answers (CONTRACT.md). */
export function registerHealthRoutes(app: FastifyInstance, probe: HealthProbe): void {
  app.get('/healthz', async (_req, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await probe.ping();
      return await reply.send({ status: 'ready' });
    } catch (e) {
      request.log.warn({ err: e }, 'readiness check failed: database unreachable');
      return reply.status(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
}
