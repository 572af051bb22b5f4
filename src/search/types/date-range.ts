/** An inclusive range of instants in epoch milliseconds; ±Infinity for an open end. */
export interface InstantRange {
  readonly lo: number;
  readonly hi: number;
}

// R4 §2.24.0.1 date, dateTime and instant; searches may also stop at minutes (R4 §3.1.1.4.6).
const PATTERN = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The range of instants a FHIR date, dateTime or instant denotes, at its precision: `2020`
 * is all of 2020, `2020-03-04T10:00:00Z` one second. Values without a zone are taken as UTC
 * (R4 leaves the zone of a date to the server). Undefined for anything malformed, including
 * impossible calendar dates.
 */
export function parseDateRange(text: string): InstantRange | undefined {
  const m = PATTERN.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  // FHIR's years run from 0001 (R4 §2.24.0.1 date regex).
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zone !== undefined && zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offset = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const fracMs = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
  const lo = utc(year, month, day, hour, minute, second) + Math.floor(fracMs) - offset;
  let hi: number;
  if (frac !== undefined) hi = lo + Math.max(1, 10 ** Math.max(0, 3 - frac.length)) - 1;
  else if (s !== undefined) hi = lo + 999;
  else if (mi !== undefined) hi = lo + 59_999;
  else if (d !== undefined) hi = lo + 86_400_000 - 1;
  else if (mo !== undefined) hi = utc(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1, 0, 0, 0) - 1;
  else hi = utc(year + 1, 1, 1, 0, 0, 0) - 1;
  return { lo, hi };
}

/** The first and last instants of FHIR's calendar (years 0001–9999). */
const FIRST = utc(1, 1, 1, 0, 0, 0);
const LAST = utc(10000, 1, 1, 0, 0, 0) - 1;

/**
 * Millisecond text PostgreSQL reads as timestamptz (±infinity for open ends), held to FHIR's
 * calendar: a zone offset moves `0001-01-01T00:00:00+14:00` into year 0 and
 * `9999-12-31T23:59:59-14:00` into year 10000, and `ap` widens a search value by a tenth of its
 * distance from now; PostgreSQL reads neither `0000-…` nor `+010000-…`.
 */
export function instantText(ms: number): string {
  if (ms === Infinity) return 'infinity';
  if (ms === -Infinity) return '-infinity';
  return new Date(Math.min(LAST, Math.max(FIRST, ms))).toISOString();
}

/** Epoch ms of a UTC calendar time (month 1–12). */
export function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
