import type { StoredVersion } from './types.js';

/** A `resources` (or `resource_history`) row as reads select it. */
export interface VersionRow {
  type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  deleted: boolean;
  content: string | null;
  patient_id: string | null;
}

export function toVersion(row: VersionRow): StoredVersion {
  return {
    type: row.type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted,
    json: row.content,
    patientId: row.patient_id,
  };
}
