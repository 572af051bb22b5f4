/**
 * UCUM canonical form for quantity search (FHIR R4 §3.1.1.4.11: a server SHOULD compare
 * quantities in canonical units). A quantity is re-expressed in the UCUM base units
 * (m, s, g, rad, K, C, cd), so commensurable units — mg/dL and g/L, kg and [lb_av] — share one
 * canonical code and their values compare as numbers.
 *
 * This follows UCUM itself, with consequences worth knowing:
 * - mol is a pure number in UCUM (6.0221367e23), so mmol/L is canonically `m-3`, like 10*9/L;
 * - annotations are unity: `{beats}/min` is `/min` (`s-1`), `%` is 0.01 of `1`;
 * - Cel and [degF] (also prefixed or scaled, e.g. mCel) convert affinely to K;
 * - units with no canonical form give undefined: arbitrary units ([IU], [arb'U], ...) and special
 *   units whose conversion is not affine (the logarithmic B, dB, Np, [pH], and %[slope]).
 */
import { BoundedCache } from '../bounded-cache.js';
import { UcumLhcUtils } from '@lhncbc/ucum-lhc';

export interface CanonicalQuantity {
  value: number;
  code: string;
}

export interface CanonicalRange {
  low: number;
  high: number;
  code: string;
}

/** canonical value = value × scale + offset; scale is always positive, so ranges keep their order. */
interface Conversion {
  scale: number;
  offset: number;
  code: string;
}

/** Real data uses a few hundred distinct units; the bound only stops a stream of junk codes from growing memory. */
const CACHE_LIMIT = 10_000;
/** Longer than any real unit; refused before the cache so huge junk keys are never stored. */
const MAX_CODE_LENGTH = 128;
/** UCUM expressions are printable ASCII without spaces (UCUM §1–§12). */
const UCUM_CHARACTERS = /^[\x21-\x7e]+$/;
/** Far enough from 0 that the scale of an affine unit comes out without cancellation error. */
const PROBE = 1e6;
/** Points at which a special unit must agree with the affine conversion derived from 0 and PROBE. */
const AFFINE_CHECKS = [1, -100];

/** null remembers a code that has no canonical form, so junk is parsed once, too. */
const conversions = new BoundedCache<string, Conversion | null>(CACHE_LIMIT);
let library: UcumLhcUtils | undefined;

export function canonicalQuantity(value: number, ucumCode: string): CanonicalQuantity | undefined {
  const conversion = conversionOf(ucumCode);
  if (conversion === undefined) return undefined;
  const canonical = value * conversion.scale + conversion.offset;
  return Number.isFinite(canonical) ? { value: canonical, code: conversion.code } : undefined;
}

/**
 * For the implied-precision range of a search value or an indexed quantity (a Range may be
 * open: an infinite end stays infinite), converted end by end.
 */
export function canonicalRange(low: number, high: number, ucumCode: string): CanonicalRange | undefined {
  const conversion = conversionOf(ucumCode);
  if (conversion === undefined) return undefined;
  const convert = (x: number): number => (Number.isFinite(x) ? x * conversion.scale + conversion.offset : x);
  const canonicalLow = convert(low);
  const canonicalHigh = convert(high);
  if (Number.isNaN(canonicalLow) || Number.isNaN(canonicalHigh) || (Number.isFinite(low) && !Number.isFinite(canonicalLow)) || (Number.isFinite(high) && !Number.isFinite(canonicalHigh))) {
    return undefined;
  }
  return { low: canonicalLow, high: canonicalHigh, code: conversion.code };
}

function conversionOf(code: string): Conversion | undefined {
  if (code.length > MAX_CODE_LENGTH) return undefined;
  return conversions.getOrSet(code, () => derive(code) ?? null) ?? undefined;
}

function derive(code: string): Conversion | undefined {
  if (!UCUM_CHARACTERS.test(code)) return undefined;
  const one = toBase(code, 1);
  if (one === undefined) return undefined;
  const canonicalCode = formatCode(one.exponents);
  if (!one.special) {
    return one.magnitude > 0 ? { scale: one.magnitude, offset: 0, code: canonicalCode } : undefined;
  }
  const offset = toBase(code, 0)?.magnitude;
  const far = toBase(code, PROBE)?.magnitude;
  if (offset === undefined || far === undefined) return undefined;
  const scale = (far - offset) / PROBE;
  if (!(scale > 0)) return undefined;
  const affine = AFFINE_CHECKS.every((x) => {
    const actual = toBase(code, x)?.magnitude;
    const expected = x * scale + offset;
    return actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(Math.abs(expected), Math.abs(offset), 1);
  });
  return affine ? { scale, offset, code: canonicalCode } : undefined;
}

interface BaseUnits {
  magnitude: number;
  special: boolean;
  exponents: Record<string, number>;
}

/** One library conversion, muted and contained: the library must neither throw nor write to stdout here. */
function toBase(code: string, value: number): BaseUnits | undefined {
  const lhc = (library ??= UcumLhcUtils.getInstance());
  // The library console.logs some parse failures; on the server stdout carries the JSON log
  // stream, so it is muted for the (synchronous) call. Only first-seen codes get here.
  const log = console.log;
  console.log = () => undefined;
  try {
    const { status, magnitude, fromUnitIsSpecial, unitToExp } = lhc.convertToBaseUnits(code, value);
    if (status !== 'succeeded' || magnitude === undefined || !Number.isFinite(magnitude)) return undefined;
    return { magnitude, special: fromUnitIsSpecial === true, exponents: unitToExp ?? {} };
  } catch {
    return undefined;
  } finally {
    console.log = log;
  }
}

/**
 * A UCUM code for the base-unit product, the same for all commensurable units: positive
 * exponents first so the usual cases read naturally (g.m-3, g.m-1.s-2), `1` when dimensionless.
 * Within each group the library's fixed base-unit order keeps the string deterministic.
 */
function formatCode(exponents: Record<string, number>): string {
  const factors = Object.entries(exponents).filter(([, exponent]) => exponent !== 0);
  const ordered = [...factors.filter(([, e]) => e > 0), ...factors.filter(([, e]) => e < 0)];
  return ordered.map(([unit, e]) => (e === 1 ? unit : `${unit}${e}`)).join('.') || '1';
}
