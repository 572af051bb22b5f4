import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFhirkeepError } from '../../errors/fhirkeep-error.js';
import { narrowScopes, scopeCovers } from './scope-covering.js';
import { formatScope, MAX_SCOPE_LENGTH, parseScope, parseScopeString, type ParsedScope } from './scopes.js';

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

function invalidScope(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => isFhirkeepError(e) && e.code === 'invalid-scope');
}

describe('parseScope: the SMART v1 and v2 grammar', () => {
  const cases: readonly [string, ParsedScope][] = [
    ['patient/Observation.read', { kind: 'resource', level: 'patient', type: 'Observation', permissions: ['r', 's'], syntax: 'v1', filter: [] }],
    ['user/Patient.write', { kind: 'resource', level: 'user', type: 'Patient', permissions: ['c', 'u', 'd'], syntax: 'v1', filter: [] }],
    ['system/*.*', { kind: 'resource', level: 'system', type: '*', permissions: ['c', 'r', 'u', 'd', 's'], syntax: 'v1', filter: [] }],
    ['patient/*.read', { kind: 'resource', level: 'patient', type: '*', permissions: ['r', 's'], syntax: 'v1', filter: [] }],
    ['patient/Observation.rs', { kind: 'resource', level: 'patient', type: 'Observation', permissions: ['r', 's'], syntax: 'v2', filter: [] }],
    ['user/*.cruds', { kind: 'resource', level: 'user', type: '*', permissions: ['c', 'r', 'u', 'd', 's'], syntax: 'v2', filter: [] }],
    ['system/Condition.c', { kind: 'resource', level: 'system', type: 'Condition', permissions: ['c'], syntax: 'v2', filter: [] }],
    ['patient/Encounter.ud', { kind: 'resource', level: 'patient', type: 'Encounter', permissions: ['u', 'd'], syntax: 'v2', filter: [] }],
    ['patient/Observation.s', { kind: 'resource', level: 'patient', type: 'Observation', permissions: ['s'], syntax: 'v2', filter: [] }],
    [
      `patient/Observation.rs?category=${LAB}`,
      { kind: 'resource', level: 'patient', type: 'Observation', permissions: ['r', 's'], syntax: 'v2', filter: [{ name: 'category', value: LAB }] },
    ],
    [
      'user/Observation.rs?category=vital-signs&code:not=http://loinc.org|8302-2',
      {
        kind: 'resource',
        level: 'user',
        type: 'Observation',
        permissions: ['r', 's'],
        syntax: 'v2',
        filter: [
          { name: 'category', value: 'vital-signs' },
          { name: 'code:not', value: 'http://loinc.org|8302-2' },
        ],
      },
    ],
    ['openid', { kind: 'context', name: 'openid' }],
    ['fhirUser', { kind: 'context', name: 'fhirUser' }],
    ['profile', { kind: 'context', name: 'profile' }],
    ['launch', { kind: 'context', name: 'launch' }],
    ['launch/patient', { kind: 'context', name: 'launch/patient' }],
    ['launch/encounter', { kind: 'context', name: 'launch/encounter' }],
    ['offline_access', { kind: 'context', name: 'offline_access' }],
    ['online_access', { kind: 'context', name: 'online_access' }],
  ];
  for (const [text, parsed] of cases) {
    test(`${text} parses, and formats back to itself`, () => {
      assert.deepEqual(parseScope(text), parsed);
      assert.equal(formatScope(parseScope(text)), text);
    });
  }

  test('granular values are percent-decoded, and re-encoded only where they must be', () => {
    const s = parseScope('patient/Observation.rs?code=a%26b%3Dc%25d&_security=%C3%BC');
    assert.deepEqual(s.kind === 'resource' ? s.filter : [], [
      { name: 'code', value: 'a&b=c%d' },
      { name: '_security', value: 'ü' },
    ]);
    assert.equal(formatScope(s), 'patient/Observation.rs?code=a%26b%3Dc%25d&_security=%C3%BC');
    assert.deepEqual(parseScope(formatScope(s)), s);
  });

  const malformed = [
    '',
    'patient/Observation.rx',
    'patient/Observation.sr',
    'patient/Observation.rrs',
    'patient/Observation.',
    'patient/Observation.READ',
    'patient/.read',
    'patient/Observation',
    'patient/observation.read',
    'foo/Observation.read',
    'Patient/Observation.read',
    'patient/Observation.read?category=x',
    'patient/Observation.*?category=x',
    'patient/Observation.rs?',
    'patient/Observation.rs?category',
    'patient/Observation.rs?category=',
    'patient/Observation.rs?=x',
    'patient/Observation.rs?category=x&',
    'patient/Observation.rs?category=%zz',
    'patient/Obs-ervation.rs',
    'patient/Observation.rs patient/Condition.rs',
    'openid\t',
    'launch/practitioner',
    'OPENID',
    'patient/Observatión.rs',
    'patient/Observation.rs?category="x"',
    `patient/Observation.rs?code=${'x'.repeat(MAX_SCOPE_LENGTH)}`,
  ];
  for (const text of malformed) {
    test(`${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)} is malformed`, () => invalidScope(() => parseScope(text)));
  }

  test('the error names the scope, shortened', () => {
    assert.throws(
      () => parseScope(`foo/${'X'.repeat(300)}`),
      (e: unknown) => isFhirkeepError(e) && e.message.length < 300 && e.message.includes('foo/XXX'),
    );
  });
});

describe('parseScopeString: RFC 6749 §3.3 scope lists', () => {
  test('single spaces separate; leading and trailing spaces are tolerated; duplicates collapse', () => {
    const parsed = parseScopeString(' openid fhirUser patient/*.rs openid patient/Observation.read ');
    assert.deepEqual(parsed.map(formatScope), ['openid', 'fhirUser', 'patient/*.rs', 'patient/Observation.read']);
  });
  test('an empty string is no scopes', () => {
    assert.deepEqual(parseScopeString(''), []);
    assert.deepEqual(parseScopeString('  '), []);
  });
  test('two spaces (an empty token), tabs and newlines are malformed', () => {
    invalidScope(() => parseScopeString('openid  fhirUser'));
    invalidScope(() => parseScopeString('openid\tfhirUser'));
    invalidScope(() => parseScopeString('openid\nfhirUser'));
  });
  test('one malformed token fails the whole string', () => invalidScope(() => parseScopeString('openid patient/Observation.sr')));
  test('a very long string is refused before it is split', () => invalidScope(() => parseScopeString(Array.from({ length: 2000 }, () => 'openid').join(' '))));
});

describe('scopeCovers', () => {
  const rows: readonly [string, string, boolean][] = [
    ['patient/*.rs', 'patient/Observation.rs', true],
    ['patient/*.read', 'patient/Observation.rs', true],
    ['patient/Observation.rs', 'patient/Observation.read', true],
    ['patient/Observation.read', 'patient/Observation.r', true],
    ['patient/Observation.*', 'patient/Observation.cruds', true],
    ['patient/Observation.write', 'patient/Observation.cud', true],
    ['patient/Observation.write', 'patient/Observation.rs', false],
    ['patient/Observation.rs', 'patient/Observation.rds', false],
    ['patient/Observation.rs', 'patient/*.rs', false],
    ['patient/Observation.rs', 'patient/Condition.rs', false],
    ['user/Observation.rs', 'patient/Observation.rs', false],
    ['patient/Observation.rs', 'user/Observation.rs', false],
    ['patient/Observation.rs', `patient/Observation.rs?category=${LAB}`, true],
    [`patient/Observation.rs?category=${LAB}`, `patient/Observation.rs?category=${LAB}`, true],
    [`patient/Observation.rs?category=${LAB}`, `patient/Observation.r?category=${LAB}`, true],
    [`patient/Observation.rs?category=${LAB}`, `patient/Observation.rs?code=x&category=${LAB}`, true],
    [`patient/Observation.rs?category=${LAB}`, 'patient/Observation.rs', false],
    [`patient/Observation.rs?category=${LAB}`, 'patient/Observation.rs?category=vital-signs', false],
    ['openid', 'openid', true],
    ['launch', 'launch/patient', false],
    ['patient/*.cruds', 'launch/patient', false],
    ['launch/patient', 'patient/*.rs', false],
  ];
  for (const [granted, requested, covers] of rows) {
    test(`${granted} ${covers ? 'covers' : 'does not cover'} ${requested}`, () => assert.equal(scopeCovers(parseScope(granted), parseScope(requested)), covers));
  }
});

describe('narrowScopes', () => {
  test('what the client may have is granted as asked; the rest is refused', () => {
    assert.deepEqual(narrowScopes(['openid', 'fhirUser', 'patient/Observation.rs', 'offline_access'], ['openid', 'fhirUser', 'patient/*.rs']), {
      granted: ['openid', 'fhirUser', 'patient/Observation.rs'],
      refused: ['offline_access'],
    });
  });
  test('a wider request is narrowed to what is allowed, and listed as refused', () => {
    assert.deepEqual(narrowScopes(['patient/*.cruds'], ['patient/Observation.rs', 'patient/Condition.read']), {
      granted: ['patient/Observation.rs', 'patient/Condition.rs'],
      refused: ['patient/*.cruds'],
    });
    assert.deepEqual(narrowScopes(['patient/*.read'], ['patient/Condition.cruds']), { granted: ['patient/Condition.read'], refused: ['patient/*.read'] });
  });
  test('an unfiltered request under a granular allowance gets the filter', () => {
    assert.deepEqual(narrowScopes(['patient/Observation.rs'], [`patient/Observation.rs?category=${LAB}`]), {
      granted: [`patient/Observation.rs?category=${LAB}`],
      refused: ['patient/Observation.rs'],
    });
  });
  test('two filters together are both parameters', () => {
    assert.deepEqual(narrowScopes(['patient/Observation.rs?code=x'], [`patient/Observation.rs?category=${LAB}`]).granted, [`patient/Observation.rs?code=x&category=${LAB}`]);
  });
  test('a refresh asking for a subset gets it; asking for more is refused', () => {
    const original = ['openid', 'patient/Observation.rs', 'patient/Condition.rs', 'offline_access'];
    assert.deepEqual(narrowScopes(['patient/Observation.r'], original), { granted: ['patient/Observation.r'], refused: [] });
    assert.deepEqual(narrowScopes(['patient/Observation.rs', 'patient/Encounter.rs'], original).refused, ['patient/Encounter.rs']);
    assert.deepEqual(narrowScopes(['user/Observation.rs'], original), { granted: [], refused: ['user/Observation.rs'] });
  });
  test('nothing allowed: nothing granted', () => assert.deepEqual(narrowScopes(['openid', 'patient/*.rs'], []), { granted: [], refused: ['openid', 'patient/*.rs'] }));
  test('malformed scopes on either side are invalid-scope errors', () => {
    invalidScope(() => narrowScopes(['patient/Observation.sr'], ['patient/*.rs']));
    invalidScope(() => narrowScopes(['openid'], ['nonsense']));
  });
});
