/**
 * Baseline 2: a bare Fastify route doing one primary-key read through a postgres.js pool — the
 * library, pool size and prepared statements Fhirkeep uses — on a table shaped like Fhirkeep's
 * `resources` (see seed.ts), returning the `content` text. What a FHIR read is measured against.
 * BENCH_PG holds the connection options as JSON (the cluster Fhirkeep itself runs on).
 */
import Fastify from 'fastify';
import postgres from 'postgres';
import type { ClusterConnection } from '../embedded-cluster.js';
import { listenForBench } from './listen.js';

const connection = JSON.parse(process.env.BENCH_PG ?? 'null') as ClusterConnection | null;
if (connection === null) throw new Error('BENCH_PG must hold the connection options as JSON');
// The settings of src/storage/database.ts createPool: max 10 (FHIRKEEP_DATABASE_POOL_SIZE default), prepared.
const sql = postgres({ ...connection, max: 10, prepare: true, idle_timeout: 60, onnotice: () => {} });
await sql`select 1`;

const app = Fastify({ logger: false });
app.get<{ Params: { type: string; id: string } }>('/baseline/:type/:id', async (req, reply) => {
  const [row] = await sql<{ content: string }[]>`
    select content from resources where tenant = 0 and type = ${req.params.type} and id = ${req.params.id}`;
  if (row === undefined) return reply.status(404).send();
  return reply.type('application/fhir+json; charset=utf-8').send(row.content);
});
await listenForBench(app, () => sql.end({ timeout: 5 }));
