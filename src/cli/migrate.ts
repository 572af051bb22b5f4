import { destination, pino } from 'pino';
import { loadConfig } from '../config/load.js';
import { openDatabase } from '../storage/database.js';
import type { Output } from './output.js';

/** `fhirkeep migrate`: bring the schema up to date and exit (beside a running server too). */
export async function migrateCommand(out: Output): Promise<number> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel }, destination(2));
  const db = await openDatabase(config, logger, { clusterMode: 'share' });
  try {
    const { applied, current } = db.migrations;
    out.result(
      applied.length === 0 ? `Schema is current (version ${current}) in ${db.description}` : `Applied migrations ${applied.join(', ')}; schema is at version ${current}`,
      { applied, current, database: db.description },
    );
    return 0;
  } finally {
    await db.close();
  }
}
