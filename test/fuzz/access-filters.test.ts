import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { test } from 'node:test';
import { serverForThisFile } from '../support/fhirkeep-server.js';
import { httpClient, type HttpResult } from '../support/http.js';
import { assertFhirAnswer, brief, fuzzRuns, fuzzServer, hostileJson, hostileString, mutated } from '../support/fuzz.js';
import { portalSignIn } from '../support/sign-in.js';

/**
 * Access-filter JSON (docs/access-filters.md) saved and checked by a signed-in developer over
 * `PUT /api/clients/:id/filter` and `POST /api/clients/:id/filter/check`: filters shaped like real
 * ones, mutated. Never a 5xx; a refusal is an OperationOutcome and leaves the client's filter,
 * version and grants as they were; the check and the save agree; a saved filter reads back as sent.
 */
const THIS_FILE = 'test/fuzz/access-filters.test.ts';
const file = serverForThisFile();

const PASSWORD = 'a long fuzzing password';
const REDIRECT = 'https://app.example/callback';
const SCOPES = ['launch/patient', 'patient/*.rs'];
let cookie: string;
let holderId: string;
/** The developer's own app (whose filter is fuzzed), another developer's app, a client id to name in `app`. */
const ids = { own: '', foreign: '', named: '' };
/** The own app's filter version: only this file's saves change it. */
let filterVersion: number;

async function setup(): Promise<void> {
  const { accounts, clients } = file.server.fhirkeep.auth;
  const dev = await accounts.create({ email: 'dev@example.org', password: PASSWORD, roles: ['developer'] });
  const other = await accounts.create({ email: 'other@example.org', password: PASSWORD, roles: ['developer'] });
  holderId = (await accounts.create({ email: 'holder@example.org', password: PASSWORD, roles: ['patient'], patientId: 'h1' })).id;
  const register = async (name: string, owner: string) => (await clients.register({ type: 'smart', name, redirectUris: [REDIRECT], scopes: SCOPES, ownerAccount: owner })).client.id;
  ids.own = await register('Weight diary', dev.id);
  ids.foreign = await register('Not yours', other.id);
  ids.named = await register('Named app', other.id);
  filterVersion = (await file.server.fhirkeep.auth.accessFilters.get(ids.own)).filterVersion;
  cookie = await portalSignIn(file.server.baseUrl, { email: 'dev@example.org', password: PASSWORD });
}

/** The app keeps one live user grant: an accepted save revokes it, and a refused one must leave it. */
async function keepUserGrant(): Promise<void> {
  const { sql } = file.server.fhirkeep.database;
  const [live] = await sql`select 1 from grants where client_id = ${ids.own} and account_id is not null and revoked_at is null limit 1`;
  if (live !== undefined) return;
  await file.server.fhirkeep.auth.grants.authorize({
    clientId: ids.own,
    accountId: holderId,
    scopes: SCOPES,
    context: { patient: 'h1' },
    redirectUri: REDIRECT,
    codeChallenge: createHash('sha256').update('verifier').digest('base64url'),
    nonce: undefined,
  });
}

const api = (method: string, path: string, raw?: string): Promise<HttpResult> =>
  httpClient(file.server.baseUrl)(method, path, { ...(raw === undefined ? {} : { raw }), headers: { cookie, accept: 'application/json', 'content-type': 'application/json' } });

// --- filters shaped like real ones ------------------------------------------------------------

const LOINC = 'http://loinc.org';
/** Filters the seed taxonomy accepts: the valid path is exercised, and mutated, often. */
const GOOD_FILTERS = [
  {},
  { content: 'body/weight', code: `${LOINC} 29463-7` },
  { group: 'fitness' },
  { group: 'laboratory', 'group-exclude': 'hematology', owner: 'self' },
  { format: 'fhir/Patient', app: 'self' },
  { format: 'fhir/Observation', public: 'only', tag: 'http://example.org/studies study-7' },
  {
    owner: 'self',
    'created-after': '2024-01-01',
    $or: [{ content: ['body/weight', 'body/bloodpressure'] }, { group: 'fitness' }, { format: 'fhir/Patient', app: 'self', $or: [{ public: 'also' }, { 'updated-before': 1_704_067_200_000 }] }],
  },
] as const;

const oneOrMany = <T>(values: fc.Arbitrary<T>) => fc.oneof(values, fc.array(values, { minLength: 1, maxLength: 3 }));
const date = fc.oneof(fc.constantFrom('2024-01-31', '2024-01-31T08:00:00Z', '2024-02-29T23:59:59.999+01:00', '1704067200000', '2024-02-30', '2024-1-1', '24:00'), fc.integer({ min: -1, max: 9e15 }));
const coding = fc.constantFrom(`${LOINC} 29463-7`, `${LOINC} 55423-8`, `${LOINC} 8480-6`, 'http://snomed.info/sct 91936005', `${LOINC}`, ' 29463-7', `${LOINC}|x 1`, 'urn:x a b');

/** A block of the language's keys with plausible values, consistent or not (an inconsistent one is refused). */
const block = fc.record(
  {
    format: oneOrMany(fc.constantFrom('fhir/Observation', 'fhir/Patient', 'fhir/Condition', 'fhir/Observaton', 'Observation', 'fhir/')),
    content: oneOrMany(fc.constantFrom('body/weight', 'body/bloodpressure', 'fitness/steps', 'lab/glucose', 'body/wieght', 'Patient')),
    group: oneOrMany(fc.constantFrom('fitness', 'laboratory', 'vital-signs', 'hematology', 'fitnes')),
    'group-system': fc.constantFrom('v1', 'v2', ''),
    'group-exclude': oneOrMany(fc.constantFrom('hematology', 'lipids', 'fitness')),
    code: oneOrMany(coding),
    owner: fc.constantFrom('self', 'all', 'everyone'),
    app: oneOrMany(fc.constantFrom('self', 'named', 'foreign', 'ghost-app')),
    public: fc.constantFrom('also', 'only', 'never'),
    'created-after': date,
    'created-before': date,
    'updated-after': date,
    'updated-before': date,
    tag: oneOrMany(coding),
    'allow-tag': oneOrMany(coding),
    'add-tag': oneOrMany(coding),
  },
  { requiredKeys: [] },
  // A few keys per block, as people write them (each key adds a chance of a mistake).
).chain((b) => fc.nat({ max: 3 }).map((n) => Object.fromEntries(Object.entries(b).slice(0, n))));

/** Real client ids where a generated `app` names one (`named`, `foreign`): they change per run. */
function withClientIds(value: unknown): unknown {
  if (typeof value === 'string') return value === 'named' || value === 'foreign' ? ids[value] : value;
  if (Array.isArray(value)) return value.map(withClientIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'app' ? withClientIds(v) : v]));
}

/** Limits and nestings past what the language allows: 51 blocks, 101 values, 501 characters, `$or` three deep. */
const oversized = fc.constantFrom<unknown>(
  { $or: Array.from({ length: 51 }, (_, i) => ({ 'created-after': i })) },
  { $or: Array.from({ length: 8 }, () => ({ $or: Array.from({ length: 8 }, (_, i) => ({ 'updated-after': i })) })) },
  { content: Array.from({ length: 101 }, () => 'body/weight') },
  { tag: `${LOINC} ${'x'.repeat(500)}` },
  { $or: [{ $or: [{ $or: [{}] }] }] },
  { $or: [] },
  { $or: {} },
  { $or: [[]] },
  { app: Array.from({ length: 100 }, (_, i) => `ghost-${i}`) },
);

const shaped: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...GOOD_FILTERS) },
  { weight: 3, arbitrary: block },
  { weight: 2, arbitrary: fc.record({ shared: block, $or: fc.array(fc.record({ own: block, $or: fc.option(fc.array(block, { minLength: 1, maxLength: 3 }), { nil: undefined }) }), { minLength: 1, maxLength: 4 }) }).map(({ shared, $or }) => ({ ...shared, $or: $or.map(({ own, $or: inner }) => (inner === undefined ? own : { ...own, $or: inner })) })) },
  { weight: 1, arbitrary: oversized },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'body/weight', 0) },
);
/** Shaped filters, half of them mutated (a mutation almost always makes a filter invalid: the valid path needs the other half). */
const filter = fc.oneof(shaped, shaped.chain((f) => mutated(f))).map(withClientIds);

/** Mostly absent: a hostile value for a member of the body beside the filter, or a member the (strict) API does not know. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
const hostileMembers = rarely(fc.record({ write_mode: hostileJson, reach: hostileJson, logout_users: hostileJson, grop: hostileJson }, { requiredKeys: [] }));

const body = fc
  .record(
    {
      filter,
      write_mode: fc.constantFrom('none', 'update', 'create', 'any'),
      // A developer may leave reach as it is (consented) but not change it.
      reach: fc.oneof({ weight: 7, arbitrary: fc.constant('consented') }, { weight: 1, arbitrary: fc.constant('all') }),
      logout_users: fc.boolean(),
    },
    { requiredKeys: ['filter', 'write_mode'] },
  )
  .chain((b) => hostileMembers.map((h) => ({ ...b, ...h })));

const target = fc.oneof({ weight: 8, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.constantFrom('foreign' as const, 'unknown' as const) });
/** Now and then the body is not (whole) JSON: cut short, or the check's `filter_text` typed half-way. */
const cut = rarely(fc.nat());

const filterPath = (who: 'own' | 'foreign' | 'unknown') => `/api/clients/${who === 'unknown' ? 'no-such-client' : ids[who]}/filter`;

test('access filters saved and checked by a developer: below 500, refusals are OperationOutcomes that changed nothing, check and save agree, a save reads back', async () => {
  await setup();
  await fuzzServer(
    file.server,
    { name: 'access filters', file: THIS_FILE, runs: fuzzRuns(100), arrange: keepUserGrant },
    fc.record({ body, target, cut, asText: fc.boolean() }),
    async ({ body: sent, target: who, cut: cutAt, asText }, send) => {
      const json = JSON.stringify(sent);
      const putText = cutAt === undefined ? json : json.slice(0, cutAt % (json.length + 1));
      const { logout_users: _logout, ...checkBody } = sent as Record<string, unknown>;
      const checkText = asText && cutAt === undefined ? JSON.stringify({ ...checkBody, filter: undefined, filter_text: JSON.stringify(checkBody.filter) }) : JSON.stringify(checkBody);
      const what = `${who} ${putText}`;

      const checked = await send(() => api('POST', `${filterPath(who)}/check`, checkText), `check ${checkText}`);
      assertFhirAnswer(checked, `check ${checkText}`);
      const saved = await send(() => api('PUT', filterPath(who), putText), what);
      assertFhirAnswer(saved, what);

      const logout = (sent as Record<string, unknown>).logout_users;
      // Which refusal comes first may differ (the check reads filter_text after the client, the save its body before).
      if (cutAt === undefined && (logout === undefined || typeof logout === 'boolean')) {
        assert.equal(saved.status === 200, checked.status === 200, `the check answered ${checked.status} (${checked.text.slice(0, 300)}), the save ${saved.status} (${saved.text.slice(0, 300)}) for ${brief(what)}`);
      }
      if (saved.status !== 200) return;
      const read = await send(() => api('GET', filterPath('own')), 'GET');
      const expected = JSON.parse(putText) as { filter: unknown; write_mode: string };
      assert.deepEqual([read.json.filter, read.json.write_mode], [expected.filter, expected.write_mode], `read back ${read.text.slice(0, 500)} for ${brief(what)}`);
      assert.deepEqual(saved.json.filter, read.json.filter);
      const version = filterVersion + (checked.json.changed === true ? 1 : 0);
      assert.equal(read.json.filter_version, version, `the version after a save that ${checked.json.changed === true ? 'changed' : 'did not change'} anything, for ${brief(what)}`);
      filterVersion = version;
    },
  );
});
