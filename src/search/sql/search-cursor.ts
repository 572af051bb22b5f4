import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/**
 * Where a page starts, carried opaquely in `next`/`prev` links. Unsorted searches page by
 * keyset on the resource key (a deep page costs what the first does); sorted ones by offset,
 * because their order is computed per row anyway.
 */
export type SearchCursor = { readonly kind: 'after' | 'before'; readonly rid: string } | { readonly kind: 'offset'; readonly offset: number };

/** The largest bigint: a larger rid would fail in PostgreSQL rather than as a bad cursor. */
const MAX_RID = 2n ** 63n - 1n;

export function encodeCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): SearchCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const c = value as Record<string, unknown> | null;
  if ((c?.kind === 'after' || c?.kind === 'before') && typeof c.rid === 'string' && /^\d{1,19}$/.test(c.rid) && BigInt(c.rid) <= MAX_RID) return { kind: c.kind, rid: c.rid };
  if (c?.kind === 'offset' && Number.isSafeInteger(c.offset) && (c.offset as number) >= 0) return { kind: 'offset', offset: c.offset as number };
  throw badCursor();
}

function badCursor(): FhirkeepError {
  return new FhirkeepError('invalid-parameter', '_cursor is not a paging position this server issued');
}
