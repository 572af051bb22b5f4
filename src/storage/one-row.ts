/** The row a statement that always returns one (an insert … returning, an upsert) returned. */
export function oneRow<T>(row: T | undefined): T {
  if (row === undefined) throw new Error('the statement returned no row');
  return row;
}
