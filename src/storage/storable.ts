/**
 * Whether a text column could hold the value: PostgreSQL text cannot hold NUL, and a query
 * comparing with one fails instead of matching nothing. A value that fails can name no row, so
 * callers answer "none" without asking the database. Undefined (no value) is storable.
 */
export function storable(value: string | undefined): boolean {
  return value === undefined || !value.includes('\0');
}
