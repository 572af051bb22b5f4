import assert from 'node:assert/strict';
import fc from 'fast-check';
import type postgres from 'postgres';
import type { TestServer } from './fhirkeep-server.js';
import type { HttpResult } from './http.js';

/**
 * The property runner and the hostile values every fuzz file draws from (docs/fuzzing.md).
 * `npm test` runs each property a bounded number of times; FHIRKEEP_FUZZ_RUNS raises it (npm run
 * fuzz), FHIRKEEP_FUZZ_SEED (+ FHIRKEEP_FUZZ_PATH and FHIRKEEP_FUZZ_PROPERTY) replays a failure.
 */
const env = process.env;

/** How many cases a property runs: `bounded` in `npm test`, FHIRKEEP_FUZZ_RUNS when set. */
export function fuzzRuns(bounded: number): number {
  const runs = Number(env.FHIRKEEP_FUZZ_RUNS ?? bounded);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`FHIRKEEP_FUZZ_RUNS must be a positive integer, not ${env.FHIRKEEP_FUZZ_RUNS}`);
  return runs;
}

/**
 * Checks `property` on `runs` generated cases (fast-check), shrinking a failure to a small
 * counterexample whose message says how to replay it exactly. A seed is drawn per run unless
 * FHIRKEEP_FUZZ_SEED names one, so every `npm test` explores new cases.
 */
async function checkProperty<T>(name: string, testFile: string, arbitrary: fc.Arbitrary<T>, property: (value: T) => Promise<void>, runs: number): Promise<void> {
  const seed = env.FHIRKEEP_FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(env.FHIRKEEP_FUZZ_SEED);
  // A path only fits the property it was printed for.
  const path = env.FHIRKEEP_FUZZ_PROPERTY === name ? env.FHIRKEEP_FUZZ_PATH : undefined;
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      await property(value);
    }),
    { numRuns: runs, seed, ...(path === undefined ? {} : { path }) },
  );
  if (!details.failed) return;
  const replay = `FHIRKEEP_FUZZ_SEED=${details.seed} FHIRKEEP_FUZZ_PATH=${details.counterexamplePath ?? ''} FHIRKEEP_FUZZ_PROPERTY='${name}' node --import tsx scripts/run-tests.ts ${testFile}`;
  const error = details.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  assert.fail(
    `${name}: failed after ${details.numRuns} case(s), shrunk ${details.numShrinks} time(s)\n` +
      `counterexample: ${brief(details.counterexample)}\n${brief(message)}\nreplay: ${replay}`,
  );
}

/** `value` printed short enough to read: long strings abbreviated with their length, the whole cut at 1500 characters. */
export function brief(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 100)}…(${v.length} characters)` : v)) ?? String(value));
  } catch {
    text = '(nested too deeply to print: replay it)';
  }
  return text.length > 1500 ? `${text.slice(0, 1500)}…` : text;
}

// --- hostile values --------------------------------------------------------------------------

const STRANGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  "'; drop table resources; --",
  '" or 1=1 --',
  '$1',
  '%',
  '%00',
  '%E0%A4%A',
  '../..',
  '\\',
  '\ud800',
  'é',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\u202e',
  '0x',
  '-0',
  '1e999',
  'NaN',
  'null',
  '__proto__',
  'constructor',
  '1974-13-45',
  '2023-02-30',
  '10000-01-01',
  '0000-00-00T25:61:61Z',
  '2024-01-01T00:00:00+99:00',
  'urn:uuid:',
  '#',
  'Patient/',
  '<script>alert(1)</script>',
] as const;

/** A string a careless or hostile client sends: SQL-ish, NULs, lone surrogates, bad dates, unicode, long. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRANGE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 200, maxLength: 2000 }) },
);

/** A number that breaks naive code: huge, negative, fractional, past the safe integers. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 2 ** 63, 0.1, 5e-324, 2147483648),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Nesting `depth` levels deep (stack depth, recursion limits). */
export const deepNesting = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
};

/** Any JSON value of a hostile kind: wrong types, huge numbers, deep nesting, empty containers. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [[[]]], { '': '' }) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 3000 }).map(deepNesting) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'drop'; readonly at: number }
  | { readonly kind: 'add'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'wrap'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: hostileJson }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom('extension', 'id', 'meta', 'resourceType', '_birthDate', 'text', '__proto__'), hostileString), value: hostileJson }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrap' as const), at: fc.nat() }) },
);

/**
 * `base` (a valid structure) with a few mutations at random places: a value replaced by a hostile
 * one, a member dropped or added, a value wrapped in an array. No mutation at all is a case too,
 * so the valid path is exercised; fewer, simpler mutations shrink best.
 */
export function mutated<T>(base: T, maxMutations = 3): fc.Arbitrary<unknown> {
  return fc.array(mutation, { maxLength: maxMutations }).map((mutations) => {
    // A JSON round trip: structuredClone overflows the stack on the deep nestings a mutation puts in.
    const copy = JSON.parse(JSON.stringify(base)) as unknown;
    return mutations.reduce<unknown>((value, m) => applyMutation(value, m), copy);
  });
}

type Container = Record<string, unknown> | unknown[];
interface Slot {
  readonly parent: Container | undefined;
  readonly key: string | number;
  readonly value: unknown;
}

/** Every place in `root` a mutation can hit, down to a depth limit (a deep nesting mutated in is left whole). */
function slots(root: unknown): Slot[] {
  const found: Slot[] = [];
  const pending: Array<Slot & { readonly depth: number }> = [{ parent: undefined, key: '', value: root, depth: 0 }];
  for (let slot = pending.pop(); slot !== undefined; slot = pending.pop()) {
    found.push(slot);
    const { value, depth } = slot;
    if (depth >= 20 || value === null || typeof value !== 'object') continue;
    const children: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [key, child] of children.reverse()) pending.push({ parent: value as Container, key, value: child, depth: depth + 1 });
  }
  return found;
}

function applyMutation(root: unknown, m: Mutation): unknown {
  const all = slots(root);
  const slot = all[m.at % all.length] as Slot;
  const put = (v: unknown): unknown => {
    if (slot.parent === undefined) return v;
    if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = v;
    else Object.defineProperty(slot.parent, slot.key, { value: v, enumerable: true, configurable: true, writable: true });
    return root;
  };
  switch (m.kind) {
    case 'replace':
      return put(m.value);
    case 'wrap':
      return put([slot.value]);
    case 'drop':
      if (slot.parent === undefined) return root;
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete slot.parent[slot.key as string];
      return root;
    case 'add': {
      const target = slot.value !== null && typeof slot.value === 'object' && !Array.isArray(slot.value) ? (slot.value as Record<string, unknown>) : undefined;
      if (target === undefined) return root;
      // defineProperty: a key "__proto__" becomes a real member, as JSON.parse makes it.
      Object.defineProperty(target, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      return root;
    }
  }
}

// --- what the properties check ---------------------------------------------------------------

/** Tables a rejected request may write to: logs of what happened, not data. */
const LOG_TABLES = new Set(['audit_events', 'security_events', 'login_failures', 'client_request_days', 'client_request_latency', 'client_request_statuses', 'client_recent_errors']);

/**
 * A fingerprint of every data table (row count and a hash of the rows): equal before and after a
 * rejected request exactly when it wrote nothing, whatever table a half-write would have touched.
 */
export async function dataFingerprint(sql: postgres.Sql): Promise<Record<string, string>> {
  const tables = (await sql<{ name: string }[]>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1`)
    .map((r) => r.name)
    .filter((name) => !LOG_TABLES.has(name));
  // Table names come from the catalog, quoted as identifiers: safe to splice.
  const selects = tables.map((t) => `select '${t}' as name, count(*)::text || ':' || coalesce(md5(string_agg(md5(x::text), '' order by md5(x::text))), '') as print from "${t}" x`);
  const rows = await sql.unsafe<{ name: string; print: string }[]>(selects.join(' union all '), [], { prepare: true });
  return Object.fromEntries(rows.map((r) => [r.name, r.print]));
}

/** The tables whose fingerprint differs. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}

/** What every answer must be: below 500; a refusal says why as an OperationOutcome. */
export function assertFhirAnswer(res: HttpResult, what: string): void {
  assert.ok(res.status < 500, `${res.status} ${res.text.slice(0, 500)} for ${brief(what)}`);
  if (res.status >= 400) assert.equal(res.json?.resourceType, 'OperationOutcome', `${res.status} is not an OperationOutcome: ${res.text.slice(0, 300)} for ${brief(what)}`);
}

/**
 * Sends requests one after another with the data fingerprinted around each: a refusal (≥ 400)
 * must have written nothing. One fingerprint per request: the one taken after a request is the
 * next one's before (a property sends its requests in sequence).
 */
function writeWatch(sql: postgres.Sql): { readonly send: WatchedSend; readonly forget: () => void } {
  let last: Record<string, string> | undefined;
  const send = async (request: () => Promise<HttpResult>, what: string): Promise<HttpResult> => {
    const before = last ?? (await dataFingerprint(sql));
    last = undefined;
    const res = await request();
    const after = await dataFingerprint(sql);
    if (res.status >= 400) {
      const changed = changedTables(before, after);
      assert.deepEqual(changed, [], `${res.status}, yet written to ${changed.join(', ')}, for ${brief(what)}`);
    }
    last = after;
    return res;
  };
  // Data written between requests (a case's arrangement) makes the last fingerprint stale.
  return { send, forget: () => (last = undefined) };
}

/** Sends one request of a case, its writes watched (see writeWatch). */
export type WatchedSend = (send: () => Promise<HttpResult>, what: string) => Promise<HttpResult>;

/**
 * A property over a running server: each case sends its requests through `send`, so a refusal
 * that wrote anything fails it, and the server must still answer /healthz after each case.
 * `arrange`, when given, runs before each case, unwatched: it puts back state an accepted request
 * of an earlier case used up (a grant revoked), so a refusal has it to leave alone.
 */
export async function fuzzServer<T>(
  server: TestServer,
  property: { readonly name: string; readonly file: string; readonly runs: number; readonly arrange?: () => Promise<void> },
  arbitrary: fc.Arbitrary<T>,
  run: (value: T, send: WatchedSend) => Promise<void>,
): Promise<void> {
  const { send, forget } = writeWatch(server.fhirkeep.database.sql);
  await checkProperty(property.name, property.file, arbitrary, async (value) => {
    if (property.arrange !== undefined) {
      await property.arrange();
      forget();
    }
    await run(value, send);
    await assertAlive(server.baseUrl);
  }, property.runs);
}

/** The server still answers its liveness probe (after each case: a crash or a wedged pool shows at once). */
async function assertAlive(baseUrl: string): Promise<void> {
  const res = await fetch(`${baseUrl}/healthz`);
  assert.equal(res.status, 200, 'the server no longer answers /healthz');
  await res.arrayBuffer();
}

/** `text` percent-encoded as a URL path segment or query value (lone surrogates as U+FFFD, as UTF-8 has it). */
export function urlPart(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}
