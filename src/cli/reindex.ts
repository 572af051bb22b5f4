import { createClassifier } from '../access/content/classify.js';
import { seedTaxonomy } from '../access/content/seed-taxonomy.js';
import { loadTaxonomy } from '../access/content/taxonomy-store.js';
import { loadConfig } from '../config/load.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { createIndexer, INDEXER_VERSION } from '../search/index/indexer.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { reindex } from '../storage/reindex.js';
import type { Output } from './output.js';
import { withDatabase } from './with-database.js';

/**
 * `fhirkeep reindex [type…]`: rebuild the search index of every resource (or of some types), and
 * classify them again against the taxonomy as it is now, beside a running server too.
 */
export async function reindexCommand(types: readonly string[], out: Output): Promise<number> {
  const known = loadDefinitions().resourceTypes;
  const unknown = types.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    out.error(`Unknown resource type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
    return 2;
  }
  const { contentAutoRegister } = loadConfig();
  return withDatabase(async (db) => {
    const started = Date.now();
    await seedTaxonomy(db.sql, known);
    const classify = createClassifier(await loadTaxonomy(db.sql), { autoRegister: contentAutoRegister });
    const done = await reindex(db, createIndexer(r4ParamRegistry()), INDEXER_VERSION, {
      ...(types.length > 0 ? { types } : {}),
      classify,
      onProgress: (n) => {
        if (n % 10_000 < 500) out.note(`${n} resources reindexed`);
      },
    });
    const seconds = (Date.now() - started) / 1000;
    out.result(`Reindexed ${done} resources${types.length > 0 ? ` of ${types.join(', ')}` : ''} in ${seconds.toFixed(1)} s`, { resources: done, types, seconds });
    return 0;
  });
}
