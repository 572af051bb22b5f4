import type { FastifyInstance } from 'fastify';

/** Listens on BENCH_PORT with a /readyz the bench polls, and closes on SIGTERM/SIGINT. */
export async function listenForBench(app: FastifyInstance, close: () => Promise<void> = async () => {}): Promise<void> {
  const port = Number(process.env.BENCH_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('BENCH_PORT must name the port to listen on');
  app.get('/readyz', async () => ({ status: 'ready' }));
  const shutdown = (): void => {
    void app
      .close()
      .then(close)
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await app.listen({ host: '127.0.0.1', port });
}
