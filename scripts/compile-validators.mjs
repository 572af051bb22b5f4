// Precompiles the R4 JSON schema (definitions/r4/fhir.schema.json) into one standalone module,
// generated/r4-validators.cjs, exporting one validator per resource type. Compiling the whole
// schema takes seconds, so it happens here at build time and never at request time.
import Ajv, { _, stringify } from 'ajv';
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

/** `a && b && …` for generated code. */
const all = (conditions) => conditions.reduce((a, b) => _`${a} && ${b}`);

/**
 * Fhirkeep's schema keywords (added by scripts/build-definitions.ts, see definitions/r4/PROVENANCE.md).
 * They check rules of FHIR R4 the official JSON schema cannot express; each is inline code, so the
 * standalone module needs nothing at run time.
 */
const keywords = [
  {
    // {element: [json names]}: a required element is present as a value (`x`) or as extensions only (`_x`).
    keyword: 'fhirRequired',
    type: 'object',
    schemaType: 'object',
    error: { message: 'must have a required element', params: ({ params }) => _`{missingProperty: ${params.missingProperty}}` },
    code(cxt) {
      const { gen, data, schema: elements } = cxt;
      for (const [element, names] of Object.entries(elements)) {
        const absent = names.flatMap((n) => [_`${data}[${n}] === undefined`, _`${data}[${`_${n}`}] === undefined`]);
        gen.if(all(absent), () => cxt.error(false, { missingProperty: element }));
      }
    },
  },
  {
    // {element: [json names]}: a choice element `value[x]` takes one type (FHIR R4 formats.html#choice).
    keyword: 'fhirChoice',
    type: 'object',
    schemaType: 'object',
    error: {
      message: 'must have one type of a choice element',
      params: ({ params }) => _`{element: ${params.element}, found: ${params.found}}`,
    },
    code(cxt) {
      const { gen, data, schema: groups } = cxt;
      const elements = Object.keys(groups);
      const groupOf = elements.flatMap((element, i) => groups[element].map((name) => [name, i]));
      const lookup = gen.scopeValue('keyword', { key: JSON.stringify(groupOf), ref: new Map(groupOf), code: _`new Map(${stringify(groupOf)})` });
      const firstFound = elements.map(() => gen.let('choice'));
      gen.forIn('key', data, (key) => {
        // `_valueString` (the value's extensions) belongs to the same choice as `valueString`.
        const name = gen.const('name', _`${key}.charCodeAt(0) === 95 ? ${key}.slice(1) : ${key}`);
        // Objects built in code (not parsed JSON) may hold undefined, which JSON drops.
        const group = gen.const('group', _`${data}[${key}] === undefined ? undefined : ${lookup}.get(${name})`);
        elements.forEach((element, i) => {
          const first = firstFound[i];
          gen.if(_`${group} === ${i}`, () => {
            gen.if(_`${first} === undefined`);
            gen.assign(first, name);
            gen.elseIf(_`${first} !== ${name}`);
            cxt.error(false, { element, found: _`[${first}, ${name}]` });
            gen.endIf();
          });
        });
      });
    },
  },
  {
    // The patterns of date, dateTime and instant accept days 29–31 in every month; "Dates SHALL be
    // valid dates" (FHIR R4 datatypes.html#date). Only a day above 28 needs the calendar.
    keyword: 'fhirCalendarDate',
    type: 'string',
    schemaType: 'boolean',
    error: { message: 'must be a calendar date' },
    code(cxt) {
      const { gen, data } = cxt;
      const day = gen.const('day', _`${data}.length >= 10 ? +${data}.slice(8, 10) : 0`);
      gen.if(_`${day} > 28`, () => {
        const y = gen.const('year', _`+${data}.slice(0, 4)`);
        const m = gen.const('month', _`+${data}.slice(5, 7)`);
        const leap = _`${y} % 4 === 0 && (${y} % 100 !== 0 || ${y} % 400 === 0)`;
        cxt.fail(_`${day} > (${m} === 2 ? (${leap} ? 29 : 28) : ${m} === 4 || ${m} === 6 || ${m} === 9 || ${m} === 11 ? 30 : 31)`);
      });
    },
  },
];

const ajv = new Ajv.default({
  code: { source: true, optimize: 1 },
  // Report every failing path at once, as the OperationOutcome promises. The keywords above rely on it.
  allErrors: true,
  // Strict catches unknown keywords and type slips in the schema. ResourceList requires the
  // discriminator's tag, which each resource type defines, not ResourceList itself.
  strict: true,
  strictRequired: false,
  discriminator: true,
  // FHIR regexes are written for Unicode strings.
  unicodeRegExp: true,
  keywords,
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
