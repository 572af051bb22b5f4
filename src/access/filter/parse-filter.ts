import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { Taxonomy } from '../content/taxonomy.js';
import type { AccessFilter, FilterBlock } from './access-filter.js';

/** What a filter is checked against: the content taxonomy and the R4 resource types. */
export interface FilterContext {
  readonly taxonomy: Taxonomy;
  readonly resourceTypes: ReadonlySet<string>;
}

/** Issue 5: "Limit sizes to stop abuse": a filter is compiled into every query the app makes. */
export const FILTER_LIMITS = {
  /** Blocks after `$or` expansion and deduplication's input. */
  blocks: 50,
  /** Values of one key (formats, contents, groups, codes, apps, tags). */
  values: 100,
  /** Characters of one value (a code system URL and code, a client id). */
  valueLength: 500,
} as const;

/** The group system a `group` is looked up in when the block names none (migration 005's default). */
export const DEFAULT_GROUP_SYSTEM = 'v1';

const DATE_KEYS = { 'created-after': 'createdAfter', 'created-before': 'createdBefore', 'updated-after': 'updatedAfter', 'updated-before': 'updatedBefore' } as const;
type DateKey = keyof typeof DATE_KEYS;
/** The keys a filter block may hold (docs/access-filters.md), in the order the docs list them. */
export const FILTER_BLOCK_KEYS = [
  'format',
  'content',
  'group',
  'group-system',
  'group-exclude',
  'code',
  'owner',
  'app',
  'public',
  'created-after',
  'created-before',
  'updated-after',
  'updated-before',
  'tag',
  'allow-tag',
  'add-tag',
] as const satisfies readonly string[];
const KEYS = new Set<string>(['$or', ...FILTER_BLOCK_KEYS]);

/** A block's keys before parsing: the shared defaults with the block's own keys laid over them. */
type RawBlock = Readonly<Record<string, unknown>>;
/**
 * A raw block and, for error messages, where each of its keys was written: `` for the top level,
 * `$or[1]`, `$or[0].$or[2]` (a shared default is named where it stands, not in every block).
 */
interface PlacedBlock {
  readonly keys: RawBlock;
  readonly origin: Readonly<Record<string, string>>;
}

/**
 * Reads an application's access filter, the expert-mode JSON of issue 5 (the MIDATA query
 * language), and checks every value against the taxonomy and the R4 types. Throws `bad-request`
 * naming the path and the problem (`$or[1].group: unknown group "fitnes" in group system v1`).
 *
 * - Keys outside `$or` are defaults shared by every block; a block's own key replaces the default.
 * - `$or` nests one level: a block of the top-level `$or` may have its own `$or`, whose blocks
 *   inherit that block's keys (so `{a, $or: [{b, $or: [c, d]}]}` is `a∧b∧c ∨ a∧b∧d`). Deeper
 *   nesting is refused: it says nothing a flat `$or` cannot, and would make the union explode.
 * - Blocks equal after normalisation are kept once (issue 5: "union of blocks, no duplicates").
 */
export function parseAccessFilter(json: unknown, ctx: FilterContext): AccessFilter {
  const top = asObject(json, 'filter');
  const blocks = expand(top, { keys: {}, origin: {} }, '', 0);
  if (blocks.length > FILTER_LIMITS.blocks) throw bad('$or', `at most ${FILTER_LIMITS.blocks} blocks (after expanding nested $or)`);
  const unique = new Map<string, FilterBlock>();
  for (const placed of blocks) {
    const block = parseBlock(placed, ctx);
    const key = JSON.stringify(block);
    if (!unique.has(key)) unique.set(key, block);
  }
  return { blocks: [...unique.values()] };
}

/**
 * A filter as typed in the expert editor: its JSON, or `bad-request` with the parser's own words
 * (where the text goes wrong), so the page and the API tell a typist the same thing.
 */
export function filterFromText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FhirkeepError('bad-request', `filter: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The client ids a filter's `app` keys name, other than `self` (they must be registered clients). */
export function filterAppIds(filter: AccessFilter): string[] {
  return [...new Set(filter.blocks.flatMap((b) => b.apps ?? []))].filter((id) => id !== 'self').sort();
}

/**
 * The resource types a block can match: its formats; narrowed to the types of its contents and of
 * its codes' contents; `every` when nothing restricts the type.
 */
export function blockResourceTypes(block: FilterBlock, taxonomy: Taxonomy): ReadonlySet<string> | 'every' {
  let types: Set<string> | 'every' = block.formats === undefined ? 'every' : new Set(block.formats);
  const narrow = (contents: readonly (string | undefined)[]) => {
    const of = new Set<string>();
    for (const c of contents) {
      const type = c === undefined ? undefined : taxonomy.content(c)?.resourceType;
      if (type !== undefined) of.add(type);
    }
    const before = types;
    types = before === 'every' ? of : new Set([...before].filter((t) => of.has(t)));
  };
  if (block.contents !== undefined) narrow(block.contents);
  if (block.codes !== undefined) narrow(block.codes.map((c) => taxonomy.contentOfCode(c)));
  return types;
}

/** The union of the blocks' types (see {@link blockResourceTypes}), sorted. */
export function filterResourceTypes(filter: AccessFilter, taxonomy: Taxonomy): readonly string[] | 'every' {
  const all = new Set<string>();
  for (const block of filter.blocks) {
    const types = blockResourceTypes(block, taxonomy);
    if (types === 'every') return 'every';
    for (const t of types) all.add(t);
  }
  return [...all].sort();
}

function expand(keys: RawBlock, defaults: PlacedBlock, path: string, depth: number): PlacedBlock[] {
  for (const key of Object.keys(keys)) if (!KEYS.has(key)) throw bad(join(path, key), `unknown key (known: ${[...KEYS].join(', ')})`);
  const { $or, ...own } = keys;
  const merged: PlacedBlock = {
    keys: { ...defaults.keys, ...own },
    origin: { ...defaults.origin, ...Object.fromEntries(Object.keys(own).map((k) => [k, path])) },
  };
  if ($or === undefined) return [merged];
  const orPath = join(path, '$or');
  if (depth >= 2) throw bad(orPath, '$or nests only one level (a block of the top-level $or may have its own $or, no deeper)');
  if (!Array.isArray($or)) throw bad(orPath, 'must be an array of blocks');
  if ($or.length === 0) throw bad(orPath, 'needs at least one block');
  if ($or.length > FILTER_LIMITS.blocks) throw bad(orPath, `at most ${FILTER_LIMITS.blocks} blocks`);
  return $or.flatMap((block, i) => expand(asObject(block, `${orPath}[${i}]`), merged, `${orPath}[${i}]`, depth + 1));
}

function parseBlock({ keys, origin }: PlacedBlock, ctx: FilterContext): FilterBlock {
  const at = (key: string) => join(origin[key] ?? '', key);
  const list = (key: string) => strings(keys[key], at(key));

  const formats = list('format')?.map((f) => {
    const type = f.startsWith('fhir/') ? f.slice('fhir/'.length) : undefined;
    if (type === undefined || !ctx.resourceTypes.has(type)) throw bad(at('format'), `"${f}" is not fhir/<an R4 resource type>`);
    return type;
  });

  const contents = new Set<string>();
  const named = list('content');
  for (const name of named ?? []) {
    if (ctx.taxonomy.content(name) === undefined) throw bad(at('content'), `unknown content "${name}"`);
    contents.add(name);
  }
  const groups = list('group');
  const groupSystem = single(keys['group-system'], at('group-system'));
  const exclude = list('group-exclude');
  if (groups === undefined) {
    if (groupSystem !== undefined) throw bad(at('group-system'), 'names the system of a group: give group too');
    if (exclude !== undefined) throw bad(at('group-exclude'), 'leaves groups out of a group: give group too');
  } else {
    const system = groupSystem ?? DEFAULT_GROUP_SYSTEM;
    for (const name of [...groups, ...(exclude ?? [])]) {
      if (!ctx.taxonomy.hasGroup(system, name)) throw bad(at(groups.includes(name) ? 'group' : 'group-exclude'), `unknown group "${name}" in group system ${system}`);
    }
    for (const name of groups) {
      const members = ctx.taxonomy.groupContents(system, name, exclude ?? []);
      // A group left empty by group-exclude would silently make the block match nothing.
      if (members.size === 0) throw bad(at('group'), `group "${name}" in group system ${system} has no content${exclude === undefined ? '' : ' outside group-exclude'}`);
      for (const c of members) contents.add(c);
    }
  }
  const contentList = contents.size === 0 ? undefined : [...contents];
  for (const name of contentList ?? []) {
    const type = ctx.taxonomy.content(name)?.resourceType;
    // Dimensions intersect: a content outside the block's formats could never match.
    if (formats !== undefined && (type === undefined || !formats.includes(type))) {
      const from = named?.includes(name) === true ? 'content' : 'group';
      throw bad(at(from), `content "${name}" is of resource type ${type ?? 'none'}, not among format ${formats.map((f) => `fhir/${f}`).join(', ')}`);
    }
  }

  // Issue 5: code is "intersected with content": a code whose content the block leaves out could
  // never match, so it is refused as a mistake rather than kept as a block matching nothing.
  const codes = list('code')?.map((value) => {
    const coding = codingOf(value, at('code'));
    const content = ctx.taxonomy.contentOfCode(coding);
    if (content === undefined) throw bad(at('code'), `unknown code "${value}" (no content has it)`);
    if (contentList !== undefined && !contents.has(content)) throw bad(at('code'), `code "${value}" is content "${content}", not among the block's contents`);
    const type = ctx.taxonomy.content(content)?.resourceType;
    if (contentList === undefined && formats !== undefined && (type === undefined || !formats.includes(type))) {
      throw bad(at('code'), `code "${value}" is content "${content}" (${type ?? 'no resource type'}), not among format ${formats.map((f) => `fhir/${f}`).join(', ')}`);
    }
    return coding;
  });

  const owner = oneOf(keys['owner'], at('owner'), ['self', 'all'] as const) ?? 'all';
  const publicData = oneOf(keys['public'], at('public'), ['also', 'only'] as const) ?? 'never';
  const apps = list('app');
  const tags = (key: string) => list(key)?.map((v) => codingOf(v, at(key)));

  const dates: Partial<Record<(typeof DATE_KEYS)[DateKey], Date>> = {};
  for (const [key, field] of Object.entries(DATE_KEYS) as [DateKey, (typeof DATE_KEYS)[DateKey]][]) {
    const date = instant(keys[key], at(key));
    if (date !== undefined) dates[field] = date;
  }
  for (const [after, before] of [['created-after', 'created-before'], ['updated-after', 'updated-before']] as const) {
    const from = dates[DATE_KEYS[after]];
    const to = dates[DATE_KEYS[before]];
    if (from !== undefined && to !== undefined && from >= to) throw bad(at(before), `must be later than ${after} (the window is empty)`);
  }

  return normalised({
    formats,
    contents: contentList,
    codes,
    owner,
    apps,
    public: publicData,
    ...dates,
    tags: tags('tag'),
    allowTags: tags('allow-tag'),
    addTags: tags('add-tag'),
  });
}

/** One key order, sorted and distinct lists, no absent members: equal blocks serialise equally. */
function normalised(b: { -readonly [K in keyof FilterBlock]: FilterBlock[K] | undefined }): FilterBlock {
  const sorted = (values: readonly string[] | undefined) => (values === undefined ? undefined : [...new Set(values)].sort());
  const block = {
    formats: sorted(b.formats),
    contents: sorted(b.contents),
    codes: sorted(b.codes),
    owner: b.owner ?? 'all',
    apps: sorted(b.apps),
    public: b.public ?? 'never',
    createdAfter: b.createdAfter,
    createdBefore: b.createdBefore,
    updatedAfter: b.updatedAfter,
    updatedBefore: b.updatedBefore,
    tags: sorted(b.tags),
    allowTags: sorted(b.allowTags),
    addTags: sorted(b.addTags),
  };
  return Object.fromEntries(Object.entries(block).filter(([, v]) => v !== undefined)) as unknown as FilterBlock;
}

function asObject(value: unknown, path: string): RawBlock {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(path, 'must be a JSON object');
  return value as RawBlock;
}

/** A string or an array of strings (issue 5: "values may be a string or an array"); undefined when absent. */
function strings(value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  const values: unknown[] = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw bad(path, 'needs at least one value');
  if (values.length > FILTER_LIMITS.values) throw bad(path, `at most ${FILTER_LIMITS.values} values`);
  return values.map((v) => {
    if (typeof v !== 'string' || v.trim() === '') throw bad(path, `${JSON.stringify(v)} is not a non-empty string`);
    // PostgreSQL's jsonb cannot hold NUL: refused here for every caller (the CLI reads files itself).
    if (v.includes('\u0000')) throw bad(path, 'a value contains a NUL character');
    if (v.length > FILTER_LIMITS.valueLength) throw bad(path, `a value is longer than ${FILTER_LIMITS.valueLength} characters`);
    return v;
  });
}

function single(value: unknown, path: string): string | undefined {
  const values = strings(value, path);
  if (values !== undefined && values.length > 1) throw bad(path, 'takes one value');
  return values?.[0];
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
  const v = single(value, path);
  if (v !== undefined && !(allowed as readonly string[]).includes(v)) throw bad(path, `"${v}" is not one of ${allowed.join(', ')}`);
  return v as T | undefined;
}

/**
 * `"<system> <code>"` (the code's own syntax, used for security tags too) → `system|code`, the form of
 * the `codes` and `security` columns. The system is the text before the first space; the code the
 * rest (FHIR codes may contain single spaces, URIs may not).
 */
function codingOf(value: string, path: string): string {
  const space = value.indexOf(' ');
  const system = space < 0 ? '' : value.slice(0, space);
  const code = space < 0 ? '' : value.slice(space + 1).trim();
  if (system === '' || code === '' || system.includes('|')) throw bad(path, `"${value}" is not "<system> <code>"`);
  return `${system}|${code}`;
}

/** ISO 8601 full date (midnight UTC) or date-time with a zone; FHIR `instant` precision. */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** Largest epoch value a JavaScript Date holds (ECMA-262 §21.4.1.1). */
const MAX_EPOCH_MS = 8.64e15;

/** Issue 5: "ISO 8601 or epoch ms": a date string, or milliseconds as a JSON number or a string of digits. */
function instant(value: unknown, path: string): Date | undefined {
  if (value === undefined) return undefined;
  const problem = `${JSON.stringify(value)} is not an ISO 8601 date (2024-01-31), date-time with zone (2024-01-31T08:00:00Z) or epoch milliseconds`;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{1,16}$/.test(value))) {
    const ms = Number(value);
    if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_EPOCH_MS) throw bad(path, problem);
    return new Date(ms);
  }
  const m = typeof value === 'string' ? ISO.exec(value) : null;
  if (m === null) throw bad(path, problem);
  const [, year, month, day, hour, minute] = m;
  const date = new Date(m[4] === undefined ? `${String(value)}T00:00:00Z` : String(value));
  // Date parsing rolls 2024-02-30 over into March: check the calendar fields really exist.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const realDay = calendar.getUTCFullYear() === Number(year) && calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day);
  if (Number.isNaN(date.getTime()) || !realDay || Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59) throw bad(path, problem);
  return date;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function bad(path: string, problem: string): FhirkeepError {
  return new FhirkeepError('bad-request', `${path}: ${problem}`);
}
