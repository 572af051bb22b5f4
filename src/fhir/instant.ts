/** FHIR R4 §2.24.0.1 `instant`: a full date-time with seconds and a zone. */
const INSTANT =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d{1,9})?(Z|[+-](?:0\d|1[0-3]):[0-5]\d|[+-]14:00)$/;
const DATE = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/**
 * Parses a FHIR instant (or a bare date, taken as UTC midnight, since clients send `_since=2024-01-01`)
 * into a Date; undefined for anything else, including impossible days such as 2023-02-30.
 */
export function parseInstant(value: string): Date | undefined {
  const m = INSTANT.exec(value) ?? DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (day > daysInMonth(year, month)) return undefined;
  const t = Date.parse(m[4] === undefined ? `${value}T00:00:00Z` : value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
