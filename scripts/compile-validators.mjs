// Precompiles the R4 JSON schema (definitions/r4/fhir.schema.json) into one standalone module,
// generated/r4-validators.cjs, with one validator per resource type. Compiling the whole schema
// takes seconds, so it happens here at build time and never at request time.
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(join(root, 'definitions/r4/fhir.schema.json'), 'utf8'));
const types = JSON.parse(readFileSync(join(root, 'definitions/r4/resource-types.json'), 'utf8'));

const ajv = new Ajv.default({
  code: { source: true, optimize: 1 },
  // Report every failing path at once, as the OperationOutcome promises.
  allErrors: true,
  // The official schema uses keywords (discriminator aside) ajv's strict mode would reject.
  strict: false,
  discriminator: true,
  // FHIR regexes are written for Unicode strings.
  unicodeRegExp: true,
});
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(schema);

const exports = Object.fromEntries(types.map((t) => [t, `${schema.$id}#/definitions/${t}`]));
const code = standaloneCode.default(ajv, exports);
const outDir = join(root, 'generated');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'r4-validators.cjs'), code);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`generated/r4-validators.cjs: ${types.length} validators, ${(code.length / 1e6).toFixed(1)} MB, ${seconds} s`);
