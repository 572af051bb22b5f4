import type { FastifyInstance } from 'fastify';

export interface HealthProbe {
  /** Resolves when the database answers; rejects otherwise. */
  readonly ping: () => Promise<void>;
  /** The read replica's state, when there is one: reported, but never a reason to be unready (the primary serves). */
  readonly replica: () => { readonly state: string; readonly lagMs?: number } | undefined;
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
      const replica = probe.replica();
      return await reply.send({ status: 'ready', ...(replica === undefined ? {} : { replica }) });
    } catch (e) {
      request.log.warn({ err: e }, 'readiness check failed: database unreachable');
      return reply.status(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });
}
