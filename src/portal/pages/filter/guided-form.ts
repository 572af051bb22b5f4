import { FILTER_LIMITS } from '../../../access/filter/parse-filter.js';
import { CODING_KEYS, codingValue, DATE_KEYS, type GuidedBlock } from './guided-filter.js';

/** The guided editor's form as posted: whether there is a filter, its blocks, each block's search text. */
export interface GuidedForm {
  readonly on: boolean;
  readonly blocks: GuidedBlock[];
  readonly queries: string[];
}

/** A block's field name: `b0.content`, `b1.created-after`. */
export function field(block: number, name: string): string {
  return `b${block}.${name}`;
}

/**
 * Reads the guided form back into blocks. Lists typed as text (resource types, app ids) are split
 * on commas and white space, codes and labels one a line; what is left empty is no restriction.
 */
export function readGuidedForm(form: URLSearchParams): GuidedForm {
  const count = Math.min(Math.max(Number.parseInt(form.get('blocks') ?? '1', 10) || 0, 1), FILTER_LIMITS.blocks);
  const blocks: GuidedBlock[] = [];
  const queries: string[] = [];
  for (let i = 0; i < count; i++) {
    const get = (name: string) => (form.get(field(i, name)) ?? '').trim();
    const all = (name: string) => form.getAll(field(i, name)).map((v) => v.trim()).filter((v) => v !== '');
    const words = (name: string) => get(name).split(/[\s,]+/).filter((v) => v !== '');
    const lines = (name: string) => get(name).split(/\r?\n/).map((v) => v.trim()).filter((v) => v !== '');
    const block: GuidedBlock = {
      format: words('format').map((t) => (t.startsWith('fhir/') ? t : `fhir/${t}`)),
      content: all('content'),
      group: all('group'),
      'group-system': all('group-system'),
      'group-exclude': all('group-exclude'),
      owner: all('owner'),
      app: [...(form.has(field(i, 'app-self')) ? ['self'] : []), ...words('app')],
      public: all('public'),
    };
    for (const key of DATE_KEYS) block[key] = all(key);
    for (const key of CODING_KEYS) block[key] = lines(key).map(codingValue);
    blocks.push(block);
    queries.push(get('q'));
  }
  return { on: form.get('filter') !== 'none', blocks, queries };
}
