import type { Output } from './output.js';
import { withDatabase } from './with-database.js';

/** `fhirkeep migrate`: bring the schema up to date and exit (beside a running server too). */
export function migrateCommand(out: Output): Promise<number> {
  return withDatabase(async (db) => {
    const { applied, current } = db.migrations;
    out.result(
      applied.length === 0 ? `Schema is current (version ${current}) in ${db.description}` : `Applied migrations ${applied.join(', ')}; schema is at version ${current}`,
      { applied, current, database: db.description },
    );
    return 0;
  });
}
