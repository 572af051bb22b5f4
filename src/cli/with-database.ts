import { destination, pino, type Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import { openDatabase, type Database } from '../storage/database.js';

/**
 * Runs `work` on the configured database, beside a running server too (CONTRACT.md: the CLI
 * shares its embedded cluster), logging to stderr, and closes the database afterwards — after
 * queued statements, so background writes such as security events land before the exit.
 */
export async function withDatabase<T>(work: (db: Database, logger: Logger) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel }, destination(2));
  const db = await openDatabase(config, logger, { clusterMode: 'share' });
  try {
    return await work(db, logger);
  } finally {
    await db.close();
  }
}
