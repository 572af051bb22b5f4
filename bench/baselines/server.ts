/**
 * The benchmark's baselines, each run as its own process like Fhirkeep:
 *   json <file>  — a bare Fastify route returning a stored JSON string from memory;
 *   sql <json>   — a bare Fastify route doing one primary-key read through a postgres.js pool
 *                  (the library, pool size and prepared statements Fhirkeep uses), returning `content`.
 * Prints `{"port":N}` once listening.
 */
import Fastify from 'fastify';
import postgres from 'postgres';

const [mode, arg] = process.argv.slice(2);
const app = Fastify({ logger: false });

if (mode === 'json') {
  const body = JSON.stringify({ resourceType: 'Patient', id: 'bench', meta: { versionId: '1', lastUpdated: new Date().toISOString() }, gender: 'female', birthDate: '1970-01-01', name: [{ family: 'Bench', given: ['Mark'] }] });
  app.get('/baseline/:id', async (_req, reply) => reply.type('application/fhir+json; charset=utf-8').send(body));
} else if (mode === 'sql' && arg !== undefined) {
  // Connection options as JSON: the Unix socket of Fhirkeep's own embedded cluster.
  const sql = postgres({ ...(JSON.parse(arg) as postgres.Options<Record<string, never>>), max: 10, prepare: true, onnotice: () => {} });
  const [{ max } = { max: 0 }] = await sql<{ max: number }[]>`select count(*)::int as max from baseline_resources`;
  app.get('/baseline/:id', async (req, reply) => {
    const id = Number((req.params as { id: string }).id) % Math.max(1, max);
    const [row] = await sql<{ content: string }[]>`select content from baseline_resources where id = ${String(id)}`;
    return reply.type('application/fhir+json; charset=utf-8').send(row?.content ?? '{}');
  });
} else {
  throw new Error('usage: server.ts json | sql <connection-json>');
}
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
