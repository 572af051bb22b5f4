import { resources } from './001-resources.js';
import { searchIndex } from './002-search-index.js';
import { authorization } from './003-authorization.js';
import { patientCompartment } from './004-patient-compartment.js';
import { accessEngine } from './005-access-engine.js';
import { serviceKeys } from './006-service-keys.js';
import { researchStudies } from './007-research-studies.js';
import { hie } from './008-hie.js';
import { bulkExport } from './009-bulk-export.js';
import { requestStatistics } from './010-request-statistics.js';
import { auditTrail } from './011-audit-trail.js';
import { rateLimitBuckets } from './013-rate-limit-buckets.js';
import { keyLastUsed } from './012-key-last-used.js';
import type { Migration } from './migration.js';

/** Every migration, in order. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [resources, searchIndex, authorization, patientCompartment, accessEngine, serviceKeys, researchStudies, hie, bulkExport, requestStatistics, auditTrail, keyLastUsed, rateLimitBuckets];
