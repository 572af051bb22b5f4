import { FILTER_BLOCK_KEYS, FILTER_LIMITS } from '../../../access/filter/parse-filter.js';

/**
 * The guided editor's view of an access filter (docs/access-filters.md): a flat list of blocks,
 * each key holding its values as strings (the keys that take one value hold one). The JSON's
 * shared defaults and nested `$or` are written out into every block they apply to, which the
 * language defines as the same filter. Nothing here validates: the filter service does, on the
 * JSON this gives back, so both editors show the server's own messages.
 */
export const BLOCK_KEYS = FILTER_BLOCK_KEYS;
export type BlockKey = (typeof BLOCK_KEYS)[number];
export type GuidedBlock = Partial<Record<BlockKey, readonly string[]>>;

/** Keys whose JSON value is one string (or, for dates, a number of epoch milliseconds). */
const SINGLE: ReadonlySet<BlockKey> = new Set(['group-system', 'owner', 'public', 'created-after', 'created-before', 'updated-after', 'updated-before']);
export const DATE_KEYS = ['created-after', 'created-before', 'updated-after', 'updated-before'] as const;
/** Keys whose values are `"<system> <code>"`, shown one a line as `system|code`. */
export const CODING_KEYS = ['code', 'tag', 'allow-tag', 'add-tag'] as const;

/** Why a filter cannot be shown as blocks (it stays editable as JSON). */
export class NotGuided extends Error {}

/**
 * A filter's JSON as blocks; `NotGuided` when it is not a shape the guided editor can hold
 * (not an object, an unknown key, a value of the wrong type, `$or` nested too deep): the
 * expert editor still opens it, and the server names what is wrong.
 */
export function blocksOfFilter(json: unknown): GuidedBlock[] {
  return expand(json, {}, '', 0);
}

function expand(json: unknown, inherited: GuidedBlock, path: string, depth: number): GuidedBlock[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new NotGuided(`${path === '' ? 'the filter' : path} is not a JSON object`);
  const own: GuidedBlock = {};
  let or: unknown;
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === '$or') {
      or = value;
      continue;
    }
    if (!(BLOCK_KEYS as readonly string[]).includes(key)) throw new NotGuided(`${at(path, key)} is not a key of the filter language`);
    own[key as BlockKey] = values(value, key as BlockKey, at(path, key));
  }
  const merged = { ...inherited, ...own };
  if (or === undefined) return [merged];
  const orPath = at(path, '$or');
  if (depth >= 2 || !Array.isArray(or) || or.length === 0) throw new NotGuided(`${orPath} is not a list of blocks one level deep`);
  const blocks = or.flatMap((block, i) => expand(block, merged, `${orPath}[${i}]`, depth + 1));
  if (blocks.length > FILTER_LIMITS.blocks) throw new NotGuided(`more than ${FILTER_LIMITS.blocks} blocks`);
  return blocks;
}

function values(value: unknown, key: BlockKey, path: string): string[] {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (typeof v === 'string') return v;
    // A date's epoch milliseconds as a JSON number; the language reads a string of digits the same.
    if (typeof v === 'number' && (DATE_KEYS as readonly string[]).includes(key) && Number.isSafeInteger(v) && v >= 0) return String(v);
    throw new NotGuided(`${path} holds ${JSON.stringify(v)}, not a string`);
  });
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The JSON of blocks: one block as the filter object itself, several as `{"$or": [...]}`; a key
 * with one value as a string. Defaults (`owner: all`, `group-system: v1`) are left out.
 */
export function filterOfBlocks(blocks: readonly GuidedBlock[]): Record<string, unknown> {
  const objects = blocks.map(blockJson);
  if (objects.length === 1 && objects[0] !== undefined) return objects[0];
  return objects.length === 0 ? {} : { $or: objects };
}

function blockJson(block: GuidedBlock): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, list] of Object.entries(normalised(block)) as [BlockKey, readonly string[]][]) {
    json[key] = SINGLE.has(key) || list.length === 1 ? list[0] : list;
  }
  return json;
}

/** Values trimmed, empty ones and defaults dropped, keys in one order. */
function normalised(block: GuidedBlock): GuidedBlock {
  const out: GuidedBlock = {};
  for (const key of BLOCK_KEYS) {
    const list = [...new Set((block[key] ?? []).map((v) => v.trim()).filter((v) => v !== ''))];
    if (list.length === 0) continue;
    if ((key === 'owner' && list.join() === 'all') || (key === 'group-system' && list.join() === 'v1')) continue;
    out[key] = list;
  }
  return out;
}

/**
 * Whether two lists of blocks are the same filter as written: block order, value order and
 * defaults aside (the union and its values are sets). Lets the guided editor hand back a saved
 * filter unchanged when its blocks were not edited: the JSON it writes may be shaped otherwise
 * (shared defaults written out), and the store would count any other JSON as a change that makes
 * every user confirm again.
 */
export function sameBlocks(a: readonly GuidedBlock[], b: readonly GuidedBlock[]): boolean {
  const canonical = (blocks: readonly GuidedBlock[]) =>
    [...new Set(blocks.map((block) => JSON.stringify(Object.entries(normalised(block)).map(([k, v]) => [k, [...(v ?? [])].sort()]))))].sort().join('\n');
  return canonical(a) === canonical(b);
}

/**
 * The JSON the guided editor saves: null without a filter; the saved JSON itself when the blocks
 * say the same as it does (see {@link sameBlocks}); otherwise {@link filterOfBlocks}.
 */
export function guidedJson(on: boolean, blocks: readonly GuidedBlock[], saved: unknown): unknown {
  if (!on) return null;
  if (saved !== null && saved !== undefined) {
    try {
      if (sameBlocks(blocksOfFilter(saved), blocks)) return saved;
    } catch (e) {
      if (!(e instanceof NotGuided)) throw e;
    }
  }
  return filterOfBlocks(blocks);
}

/** `"<system> <code>"` (the language) as `system|code` (one a line in the editor). */
export function codingLine(value: string): string {
  const space = value.indexOf(' ');
  return space < 0 ? value : `${value.slice(0, space)}|${value.slice(space + 1)}`;
}

/** A line of the editor back into the language: `system|code` or `system code`. */
export function codingValue(line: string): string {
  const bar = line.indexOf('|');
  return bar < 0 ? line : `${line.slice(0, bar)} ${line.slice(bar + 1)}`;
}
