import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLabel, checkName, GROUP_NAME } from '../../../access/content/taxonomy-admin.js';
import { validateAccountInput } from '../../../auth/accounts/account-input.js';
import { emailProblem, passwordProblem } from '../../../auth/accounts/credentials-policy.js';
import { parseIdentifier, validateOrganizationName } from '../../../auth/accounts/organization-input.js';
import { validateGroupName, validateProfile } from '../../../auth/dialects/hie/profile.js';
import { FIELD_RULES, type FieldRule } from './field-rules.js';

/** What the browser lets through a field with these constraints (an empty value is `required`'s business). */
function browserAccepts(rule: FieldRule, value: string): boolean {
  if (value === '') return true;
  if (rule.pattern !== undefined && !new RegExp(`^(?:${rule.pattern})$`, 'v').test(value)) return false;
  if (rule.minlength !== undefined && value.length < rule.minlength) return false;
  return rule.maxlength === undefined || value.length <= rule.maxlength;
}

function serviceAccepts(check: (value: string) => unknown, value: string): boolean {
  try {
    return check(value) !== false;
  } catch {
    return false;
  }
}

/** Each rule against the service's own check, as the portal calls it (trimming where the page trims). */
const CASES: readonly { rule: keyof typeof FIELD_RULES; check: (value: string) => unknown; values: readonly string[] }[] = [
  {
    rule: 'email',
    check: (v) => emailProblem(v.trim()) === undefined,
    values: ['ann@example.org', ' ann@example.org ', 'admin@localhost', 'jörg@example.de', 'ann', 'a b@example.org', '@example.org', 'ann@', 'a@b@c', 'a\u0007b@c', `${'x'.repeat(64)}@x`, `${'x'.repeat(65)}@x`, `a@${'x'.repeat(252)}`, `a@${'x'.repeat(253)}`],
  },
  {
    rule: 'password',
    check: (v) => passwordProblem(v) === undefined,
    values: ['short', 'elevenchars', 'twelve chars', 'a long portal password', 'x'.repeat(256), 'x'.repeat(257)],
  },
  {
    rule: 'fhirId',
    check: (v) => validateAccountInput({ email: 'a@b', roles: ['patient'], patientId: v }),
    values: ['p-ann', ' p-ann ', 'p.1', 'x'.repeat(64), 'x'.repeat(65), 'p ann', 'p_ann', 'ü'],
  },
  {
    rule: 'displayName',
    check: (v) => validateAccountInput({ email: 'a@b', roles: ['developer'], displayName: v }),
    values: ['Ann', 'x'.repeat(200), 'x'.repeat(201)],
  },
  { rule: 'organizationName', check: validateOrganizationName, values: ['Clinic North', ' Clinic ', '   ', 'x'.repeat(200), 'x'.repeat(201)] },
  {
    rule: 'identifier',
    check: (v) => parseIdentifier(v.trim()),
    values: ['http://hl7.org/fhir/sid/us-npi|1234567893', 'a|b|c', 'no-bar', '|value', 'system|', ' | ', ' s | v ', `${'s'.repeat(200)}|v`, `s|${'v'.repeat(200)}`],
  },
  {
    rule: 'groupName',
    check: (v) => checkName('name', v.trim(), GROUP_NAME),
    values: ['sleep-data', 'v1', ' sleep-data ', 'sleep data', '-sleep', 'sleep_data.2', 'sleep/data', 'x'.repeat(100), 'x'.repeat(101)],
  },
  { rule: 'label', check: checkLabel, values: ['Sleep data', ' x ', '   ', 'x'.repeat(200), 'x'.repeat(201)] },
  {
    rule: 'catchments',
    check: (v) => validateProfile({ type: 'provider', id: '1', catchments: v.split(/[\s,]+/).filter((c) => c !== '') }),
    values: ['30', '30, 302618', ' 30 ,302618, ', '302', '30,,3026', '30 abc', '3'.repeat(12), '3'.repeat(14), '30 3'],
  },
  { rule: 'hieGroup', check: validateGroupName, values: ['MCI Admin', ' API Consumer ', '   ', 'a\u0001b', '\tMCI\t', 'x'.repeat(100), 'x'.repeat(101)] },
];

test('each admin field rule lets through exactly what its service accepts', () => {
  for (const { rule, check, values } of CASES) {
    for (const value of values) {
      assert.equal(browserAccepts(FIELD_RULES[rule], value), serviceAccepts(check, value), `${rule}: ${JSON.stringify(value)}`);
    }
  }
});

test('every pattern compiles as the browser compiles it (the v flag)', () => {
  for (const [name, rule] of Object.entries(FIELD_RULES)) {
    if ('pattern' in rule) assert.doesNotThrow(() => new RegExp(`^(?:${rule.pattern})$`, 'v'), name);
  }
});
