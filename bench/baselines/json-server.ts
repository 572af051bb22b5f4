/**
 * Baseline 1: a bare Fastify route returning a stored JSON string from memory, the ceiling of
 * any read through Fastify on this machine. It serves the bench's data set under the keys
 * `/baseline/{type}/b{index}`, the same bodies and keys as the SQL baseline.
 */
import Fastify from 'fastify';
import { loadDataset, withId } from '../dataset.js';
import { listenForBench } from './listen.js';

const stored = new Map<string, string>();
loadDataset().resources.forEach((r, i) => stored.set(`${r.type}/b${i}`, withId(r, `b${i}`)));

const app = Fastify({ logger: false });
app.get<{ Params: { type: string; id: string } }>('/baseline/:type/:id', async (req, reply) => {
  const body = stored.get(`${req.params.type}/${req.params.id}`);
  if (body === undefined) return reply.status(404).send();
  return reply.type('application/fhir+json; charset=utf-8').send(body);
});
await listenForBench(app);
