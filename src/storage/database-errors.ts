import { FhirkeepError } from '../errors/fhirkeep-error.js';

/**
 * PostgreSQL errors caused by the data a client sent rather than by the server: SQLSTATE class
 * 22 (data exception, e.g. a value PostgreSQL cannot represent) and 54 (program limit exceeded,
 * e.g. an index entry too large). They become 4xx answers; anything else stays a server error.
 */
export function clientFaultOf(error: unknown): FhirkeepError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code.startsWith('22')) return new FhirkeepError('unprocessable', 'The database cannot store a value in this request', { cause: error });
  if (code.startsWith('54')) return new FhirkeepError('unprocessable', 'A value in this request exceeds what the database can index', { cause: error });
  return undefined;
}

/** SQLSTATE unique_violation: a row with the same key exists. */
export const UNIQUE_VIOLATION = '23505';
/** SQLSTATE foreign_key_violation: a referenced row does not exist. */
export const FOREIGN_KEY_VIOLATION = '23503';
