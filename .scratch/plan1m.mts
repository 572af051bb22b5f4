import postgres from 'postgres';
import { readSynthea, syntheaFiles } from '../bench/dataset.js';
import { clusterConnection } from '../bench/embedded-cluster.js';
import { freshDataDir, startFhirkeep } from '../bench/fhirkeep.js';
import { runIngest } from '../bench/ingest.js';
import { cleanUp } from '../bench/process.js';
import { parseTransaction } from '../bench/search/bundle.js';
import { clones } from '../bench/search/clone.js';
import { accessTokens } from '../bench/access-setup.js';
import { compileApplicationRule, consentRule } from '../src/access/consent-rule.js';
import { systemScope } from '../src/access/scope.js';
import { compileSmartRule } from '../src/access/smart-access.js';
import { parseScopeString } from '../src/auth/smart/scopes.js';
import { render } from '../src/search/sql/sql-text.js';
import { searchPageSql } from '../src/storage/search-runner.js';
import { searchQuery } from '../test/support/search-query.js';
import { smartDefinitions } from '../test/support/smart-definitions.js';

const sources = syntheaFiles().map((f) => { const b = parseTransaction(readSynthea(f)); return { text: JSON.stringify(b), resources: b.entry.length }; });
const dataDir = freshDataDir();
const server = await startFhirkeep(dataDir);
try {
  await runIngest(`${server.url}/fhir`, clones(sources, 300_000), 8, () => {});
  await accessTokens(server, dataDir, { format: ['fhir/Observation', 'fhir/Patient'] });
  const sql = postgres({ ...clusterConnection(dataDir), max: 1, onnotice: () => {} });
  await sql`vacuum analyze`;
  const [svc] = await sql`select id, filter_version from clients where name = 'bench subscribed service'`;
  const [row] = await sql`select r.patient_id, t.code from resources r join search_token t on t.rid = r.rid where r.type = 'Observation' and t.system = 'http://loinc.org' limit 1 offset 5000`;
  console.log(svc, row);
  const defs = smartDefinitions();
  const client = (reach: 'all' | 'consented') => ({ id: svc!.id as string, type: 'service' as const, name: 'x', isPublic: false, hasSecret: true, redirectUris: [], jwks: undefined, jwksUri: undefined, requirePkce: true, scopes: [], launchUri: undefined, ownerAccount: undefined, createdAt: new Date(), revoked: false, accessFilter: undefined, filterVersion: svc!.filter_version as number, writeMode: 'none' as const, reach });
  const smart = compileSmartRule(parseScopeString('system/*.rs'), {}, defs);
  const inst = consentRule(smart, client('all'), compileApplicationRule('x', undefined, () => undefined), { accountId: undefined, patient: undefined });
  const filt = consentRule(smart, client('consented'), compileApplicationRule('x', { blocks: [{ owner: 'all', public: 'never', formats: ['Observation', 'Patient'] }] }, () => undefined), { accountId: undefined, patient: undefined });
  for (const [name, rule] of [['inst', inst], ['filt', filt]] as const) {
    const page = render(searchPageSql({ ...systemScope('x'), read: rule, write: rule }, searchQuery('Observation', `patient=${row!.patient_id}&code=${row!.code}`, 20)));
    for (let i = 0; i < 20; i++) await sql.unsafe(page.text, page.params as never[]);
    const plan = await sql.unsafe(`explain (analyze, buffers off) ${page.text}`, page.params as never[]);
    console.log('=====', name); for (const r of plan) console.log(r['QUERY PLAN']);
  }
  await sql.end();
} finally {
  await server.stop();
  await cleanUp();
}
