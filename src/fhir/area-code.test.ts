import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AREA_CODE_EXTENSION, areaCodeRange, isAreaCode, outermostAreas, patientAreaCodes } from './area-code.js';

test('area codes: digits, an even number of them, 2 to 12', () => {
  for (const ok of ['30', '3026', '302618', '30261801', '3026180102', '302618010203']) assert.ok(isAreaCode(ok), ok);
  for (const bad of ['', '3', '302', '30261', '30261801020304', '3026180102030', 'ab', '30 26', '３０', '30\n', '-302']) assert.ok(!isAreaCode(bad), JSON.stringify(bad));
});

test("a patient's area codes: each address's extension, else its district when that is a code", () => {
  const ext = (code: unknown) => ({ url: AREA_CODE_EXTENSION, valueCode: code });
  const patient = {
    resourceType: 'Patient',
    address: [
      { extension: [ext('30261801')], district: '4000' },
      { district: '5511' },
      { district: 'Dhaka' },
      { extension: [ext('not a code')], district: '6622' },
      { extension: [{ url: 'http://example.org/other', valueCode: '7788' }], district: '7799' },
      'junk',
    ],
  };
  assert.deepEqual(patientAreaCodes(patient).sort(), ['30261801', '5511', '7799']);
  assert.deepEqual(patientAreaCodes({ resourceType: 'Patient' }), []);
  assert.deepEqual(patientAreaCodes(null), []);
});

test('a prefix is the half-open range of the codes under it', () => {
  assert.deepEqual(areaCodeRange('302618'), { lo: '302618', hi: '302619' });
  assert.deepEqual(areaCodeRange('3099'), { lo: '3099', hi: '31' });
  assert.deepEqual(areaCodeRange('99'), { lo: '99', hi: undefined });
  const inside = (code: string, prefix: string) => {
    const { lo, hi } = areaCodeRange(prefix);
    return code >= lo && (hi === undefined || code < hi);
  };
  for (const [code, prefix] of [['30261801', '302618'], ['302618', '302618'], ['30999912', '3099'], ['999999', '99']] as const) assert.ok(inside(code, prefix), `${code} in ${prefix}`);
  for (const [code, prefix] of [['30261901', '302618'], ['302617', '302618'], ['3026', '302618'], ['31', '3099'], ['310000', '3099']] as const) assert.ok(!inside(code, prefix), `${code} not in ${prefix}`);
});

test('the outermost areas: duplicates and areas inside others dropped', () => {
  assert.deepEqual(outermostAreas(['302618', '3026', '302618', '40', '4011', '3027']), ['3026', '3027', '40']);
  assert.deepEqual(outermostAreas([]), []);
});
