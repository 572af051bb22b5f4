/**
 * SQL text with its bound values, assembled by plain string concatenation: a search is built
 * from dozens of pieces, and postgres.js fragments cost about 10 µs each to build and render.
 * Values are never spliced into the text; each is a placeholder numbered when the whole query
 * is rendered, so search values stay data.
 */
export class SqlText {
  constructor(
    readonly text: string,
    readonly values: readonly unknown[],
  ) {}
}

/** Marks a value's place until rendering; never appears in SQL Fhirkeep writes. */
export const SLOT = '\u0000';

/** `q\`… ${value} …\``: a value becomes a placeholder, an SqlText is inlined with its values. */
export function q(strings: TemplateStringsArray, ...values: readonly unknown[]): SqlText {
  let text = strings[0] as string;
  const bound: unknown[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v instanceof SqlText) {
      text += v.text;
      for (const x of v.values) bound.push(x);
    } else {
      text += SLOT;
      bound.push(v);
    }
    text += strings[i + 1] as string;
  }
  return new SqlText(text, bound);
}

/** Fixed SQL (identifiers, keywords) that Fhirkeep itself writes; never client input. */
export function raw(text: string): SqlText {
  return new SqlText(text, []);
}

/** The query text with `$1`, `$2`, … and its parameters, ready for `sql.unsafe`. */
export function render(s: SqlText): { text: string; params: unknown[] } {
  let n = 0;
  return { text: s.text.replace(/\u0000/g, () => `$${++n}`), params: [...s.values] };
}
