import type { Taxonomy } from '../content/taxonomy.js';
import type { AccessFilter, WriteMode } from './access-filter.js';
import { filterResourceTypes } from './parse-filter.js';

/**
 * SMART v2 permissions (SMART App Launch 2.x §scopes: c create, r read, u update, d delete, s search)
 * each write mode allows. Issue 5 lists rs|crs|rus|cruds; our write mode `create` is "create and
 * update" (a created record must itself pass the filter, and so may be updated), hence `crus`:
 * `crs` (create without update) is no write mode of ours.
 */
const WRITE_MODE_PERMISSIONS: Readonly<Record<WriteMode, string>> = {
  none: 'rs',
  update: 'rus',
  create: 'crus',
  any: 'cruds',
};

/**
 * The `user/<Type>.<perm>` scopes a filter and write mode imply (issue 5: introspection reports
 * them), one per type the filter can match, sorted; `user/*.<perm>` without a filter or when a
 * block matches every type.
 */
export function impliedScopes(filter: AccessFilter | undefined, writeMode: WriteMode, taxonomy: Taxonomy): string[] {
  const permissions = WRITE_MODE_PERMISSIONS[writeMode];
  const types = filter === undefined ? 'every' : filterResourceTypes(filter, taxonomy);
  return types === 'every' ? [`user/*.${permissions}`] : types.map((type) => `user/${type}.${permissions}`);
}
