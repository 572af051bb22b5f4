import type { ExportRunResult } from '../bulk/export-runner.js';
import type { ExportJob } from '../storage/bulk/export-job-store.js';
import { agentsOf } from './agents.js';
import type { AuditRow } from './audit-row.js';

/**
 * The row of a bulk export's end, run by a worker on any node long after its kick-off (which the
 * router audited as `export`): the data read out, by the requester's agents. It names the
 * patients the request named (`patient`, a Group's members); an export of everyone the scope
 * reaches names none, as its rows are not gathered per patient (docs/audit.md).
 */
export function exportAuditRow(job: ExportJob, result: ExportRunResult | { readonly kind: 'failed' }, recorded = new Date()): AuditRow {
  const agents = agentsOf(job.principal);
  const completed = result.kind === 'completed';
  return {
    recorded,
    type: 'rest',
    subtype: 'export-complete',
    action: 'R',
    outcome: completed ? 0 : result.kind === 'refused' ? 4 : 8,
    ...(completed ? {} : { outcomeDesc: result.kind === 'refused' ? 'forbidden' : 'internal' }),
    accountId: agents.accountId,
    clientId: agents.clientId,
    onBehalfOf: agents.onBehalfOf,
    entity: job.request.level.kind === 'group' ? [`Group/${job.request.level.groupId}`] : [],
    patientIds: completed ? (job.request.patients ?? []) : [],
    detail: {
      ...agents.detail,
      job: job.id,
      ...(completed ? { types: result.progress.types, resources: result.progress.total } : {}),
    },
  };
}
