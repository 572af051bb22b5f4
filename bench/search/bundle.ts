/** The parts of an R4 transaction bundle the search bench reads and rewrites. */

export interface Identifier {
  readonly system?: string;
  value?: string;
  readonly [element: string]: unknown;
}

export interface Resource {
  readonly resourceType: string;
  identifier?: Identifier[];
  readonly [element: string]: unknown;
}

export interface TransactionBundle {
  readonly resourceType: 'Bundle';
  readonly entry: { readonly resource: Resource; readonly [element: string]: unknown }[];
  readonly [element: string]: unknown;
}

export function parseTransaction(text: string): TransactionBundle {
  const bundle = JSON.parse(text) as Partial<TransactionBundle>;
  if (bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry)) throw new Error('not a Bundle with entries');
  return bundle as TransactionBundle;
}
