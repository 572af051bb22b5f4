import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalQuantity, canonicalRange } from './ucum.js';

/** Expectations below are worked out from the SI/UCUM definitions, not read back from the library. */
function assertCanonical(value: number, code: string, expected: number, expectedCode: string): void {
  const actual = canonicalQuantity(value, code);
  assert.ok(actual !== undefined, `${value} ${code} has a canonical form`);
  assert.equal(actual.code, expectedCode, `${value} ${code}`);
  assert.ok(Math.abs(actual.value - expected) <= 1e-12 * Math.abs(expected), `${value} ${code}: ${actual.value} ≠ ${expected}`);
}

test('mass concentration: mg/dL and g/L share g.m-3', () => {
  assertCanonical(1, 'mg/dL', 10, 'g.m-3'); // 1e-3 g / 1e-4 m³
  assertCanonical(1, 'g/L', 1000, 'g.m-3'); // 1 g / 1e-3 m³
  assertCanonical(100, 'mg/dL', 1000, 'g.m-3'); // = 1 g/L
  assertCanonical(0.01, 'g/L', 10, 'g.m-3'); // = 1 mg/dL
});

test('substance concentration: mol is a number in UCUM (6.0221367e23)', () => {
  assertCanonical(5.5, 'mmol/L', 5.5 * 6.0221367e23, 'm-3'); // 5.5e-3 mol / 1e-3 m³
  assertCanonical(5.5, 'mol/m3', 5.5 * 6.0221367e23, 'm-3');
});

test('mass: kg and [lb_av] share g', () => {
  assertCanonical(70, 'kg', 70_000, 'g');
  assertCanonical(1, '[lb_av]', 453.59237, 'g'); // international avoirdupois pound, exact
  assertCanonical(154, '[lb_av]', 154 * 453.59237, 'g');
});

test('length: cm and [in_i] share m', () => {
  assertCanonical(2.54, 'cm', 0.0254, 'm');
  assertCanonical(1, '[in_i]', 0.0254, 'm'); // international inch, exact
  assertCanonical(180, 'cm', 1.8, 'm');
});

test('dimensionless: %, 1 and annotations are all 1', () => {
  assertCanonical(50, '%', 0.5, '1');
  assertCanonical(3, '1', 3, '1');
  assertCanonical(7, '{copies}', 7, '1');
});

test('pressure: mm[Hg] and kPa share g.m-1.s-2', () => {
  assertCanonical(120, 'mm[Hg]', 120 * 133.322 * 1000, 'g.m-1.s-2'); // 1 mm[Hg] = 133.322 Pa, Pa = 1000 g/(m·s²)
  assertCanonical(16, 'kPa', 16e6, 'g.m-1.s-2');
});

test('rates: /min, {beats}/min and Hz share s-1', () => {
  assertCanonical(72, '/min', 1.2, 's-1');
  assertCanonical(72, '{beats}/min', 1.2, 's-1');
  assertCanonical(1.2, 'Hz', 1.2, 's-1');
});

test('temperature: Cel and [degF] convert affinely to K', () => {
  assertCanonical(37, 'Cel', 310.15, 'K');
  assertCanonical(98.6, '[degF]', 310.15, 'K'); // (98.6 + 459.67) × 5/9
  assertCanonical(-40, 'Cel', 233.15, 'K');
  assertCanonical(-40, '[degF]', 233.15, 'K');
  assertCanonical(32, '[degF]', 273.15, 'K');
  assertCanonical(310.15, 'K', 310.15, 'K');
  assertCanonical(1000, 'mCel', 274.15, 'K');
});

test('ranges convert end by end in order', () => {
  assert.deepEqual(roundRange(canonicalRange(99.5, 100.5, 'mg/dL')), { low: 995, high: 1005, code: 'g.m-3' });
  assert.deepEqual(roundRange(canonicalRange(36.95, 37.05, 'Cel')), { low: 310.1, high: 310.2, code: 'K' });
  assert.equal(canonicalRange(1, 2, 'foo'), undefined);
});

test('UCUM is case-sensitive: MG is megagauss, not milligram', () => {
  assert.notEqual(canonicalQuantity(1, 'MG')?.code, 'g');
});

test('no canonical form: undefined, never an exception', () => {
  for (const code of ['foo', ')(', '()', '(1)42', '', ' ', 'mg ', ' mg', 'm g', 'µg', '/', 'kg.', '{beats', 'Cel/h', 'Cel2', 'x'.repeat(1000)]) {
    assert.equal(canonicalQuantity(1, code), undefined, JSON.stringify(code));
  }
  // arbitrary units and non-affine special units
  for (const code of ['[IU]/L', "[arb'U]", 'dB', 'B[SPL]', 'Np', '[pH]', '%[slope]']) {
    assert.equal(canonicalQuantity(1, code), undefined, code);
  }
  for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(canonicalQuantity(value, 'mg'), undefined);
  assert.equal(canonicalQuantity(1e308, 'kg'), undefined); // overflows in grams
});

test('junk codes do not write to stdout (the library console.logs some parse failures)', (t) => {
  const log = t.mock.method(console, 'log');
  for (const code of ['()', '(1)42', '/{*e}3.7', 'lC.K]()[ea']) assert.equal(canonicalQuantity(1, code), undefined, code);
  assert.equal(log.mock.callCount(), 0);
});

test('a repeated unit gives the same answer from the cache', () => {
  assert.deepEqual(canonicalQuantity(2, 'mg/dL'), canonicalQuantity(2, 'mg/dL'));
  assert.equal(canonicalQuantity(1, ')('), canonicalQuantity(1, ')('));
});

function roundRange(range: ReturnType<typeof canonicalRange>): ReturnType<typeof canonicalRange> {
  return range && { low: Number(range.low.toFixed(9)), high: Number(range.high.toFixed(9)), code: range.code };
}
