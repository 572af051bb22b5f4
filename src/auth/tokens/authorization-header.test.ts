import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { parseAuthorization } from './authorization-header.js';

const CHALLENGE = 'Bearer realm="fhirkeep", error="invalid_request"';

function refused(header: string, message: RegExp): void {
  assert.throws(
    () => parseAuthorization(header),
    (e: unknown) => e instanceof FhirkeepError && e.code === 'bad-request' && e.headers['WWW-Authenticate'] === CHALLENGE && message.test(e.message),
    `${JSON.stringify(header)} is refused with ${String(message)}`,
  );
}

test('no header, or an empty one, is no credentials (the caller challenges, or lets a development request in)', () => {
  assert.equal(parseAuthorization(undefined), undefined);
  assert.equal(parseAuthorization(''), undefined);
  assert.equal(parseAuthorization('   '), undefined);
});

test('a plain bearer token, the scheme in any case, padding and the b64token alphabet', () => {
  assert.deepEqual(parseAuthorization('Bearer abc.DEF-123_~+/=='), { token: 'abc.DEF-123_~+/==', grp: undefined });
  assert.deepEqual(parseAuthorization('bearer abc'), { token: 'abc', grp: undefined });
  assert.deepEqual(parseAuthorization('BEARER\tabc  '), { token: 'abc', grp: undefined });
  assert.deepEqual(parseAuthorization('  Bearer   abc'), { token: 'abc', grp: undefined });
});

test('grp follows the token after a semicolon; keys are case-insensitive, keys and values trimmed', () => {
  assert.deepEqual(parseAuthorization('Bearer abc; grp=org-1'), { token: 'abc', grp: 'org-1' });
  assert.deepEqual(parseAuthorization('Bearer abc;grp=org-1'), { token: 'abc', grp: 'org-1' });
  assert.deepEqual(parseAuthorization('Bearer abc ;  GRP  =  org-1  '), { token: 'abc', grp: 'org-1' });
  assert.deepEqual(parseAuthorization('Bearer abc; Grp=\torg-1\t'), { token: 'abc', grp: 'org-1' });
});

test('the first = splits: a value may hold = and |', () => {
  assert.deepEqual(parseAuthorization('Bearer abc; grp=a|b'), { token: 'abc', grp: 'a|b' });
  assert.deepEqual(parseAuthorization('Bearer abc; grp=urn:oid:1.2.3|x=y'), { token: 'abc', grp: 'urn:oid:1.2.3|x=y' });
  assert.deepEqual(parseAuthorization('Bearer abc==; grp==org'), { token: 'abc==', grp: '=org' });
});

test('many semicolons, parts without =, unknown keys and empty keys are ignored', () => {
  assert.deepEqual(parseAuthorization('Bearer abc;'), { token: 'abc', grp: undefined });
  assert.deepEqual(parseAuthorization('Bearer abc;;; ;grp=o;;;'), { token: 'abc', grp: 'o' });
  assert.deepEqual(parseAuthorization('Bearer abc; grp; foo=bar; =x; x-grp=y; grpx=z; grp=o; later'), { token: 'abc', grp: 'o' });
  assert.deepEqual(parseAuthorization('Bearer abc; foo=; bar'), { token: 'abc', grp: undefined });
});

test('an injection-looking grp parses as it is: it names an organization no row has', () => {
  assert.deepEqual(parseAuthorization("Bearer abc; grp=x' or 1=1--"), { token: 'abc', grp: "x' or 1=1--" });
  assert.deepEqual(parseAuthorization('Bearer abc; grp="org"; drop table consents'), { token: 'abc', grp: '"org"' });
  assert.deepEqual(parseAuthorization(`Bearer abc; grp=${'x'.repeat(256)}`), { token: 'abc', grp: 'x'.repeat(256) });
});

test('another scheme, or none, is refused', () => {
  refused('Basic YWxhZGRpbjpvcGVuc2VzYW1l', /not a Bearer token/);
  refused('abc', /not a Bearer token/);
  refused('Bearerabc', /not a Bearer token/);
  refused('DPoP abc; grp=o', /not a Bearer token/);
});

test('an empty or malformed token is refused, whatever follows it', () => {
  refused('Bearer', /no token/);
  refused('Bearer   ', /no token/);
  refused('Bearer ; grp=o', /no token/);
  refused('Bearer  ;', /no token/);
  refused('Bearer abc def', /not a Bearer token/);
  refused('Bearer abc=def; grp=o', /not a Bearer token/);
  refused('Bearer grp=o', /not a Bearer token/);
  refused('Bearer a,b; grp=o', /not a Bearer token/);
});

test('grp twice, empty, too long or with control characters is refused', () => {
  refused('Bearer abc; grp=a; grp=b', /more than once/);
  refused('Bearer abc; grp=a; GRP=a', /more than once/);
  refused('Bearer abc; grp=', /empty/);
  refused('Bearer abc; grp=   ', /empty/);
  refused(`Bearer abc; grp=${'x'.repeat(257)}`, /longer than 256/);
  refused('Bearer abc; grp=a\u0000b', /control characters/);
  refused('Bearer abc; grp=a\tb', /control characters/);
  refused('Bearer abc; grp=a\u007fb', /control characters/);
  refused('Bearer abc; grp=a\u0085b', /control characters/);
});
