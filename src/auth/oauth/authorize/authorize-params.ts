/** The parameters of an authorization request, each with its single value. */
export interface AuthorizeParams {
  /** Parameters given exactly once with a non-empty value. */
  readonly values: ReadonlyMap<string, string>;
  /** Parameters given more than once: RFC 6749 §3.1 "MUST NOT be included more than once". */
  readonly duplicates: ReadonlySet<string>;
}

/** Reads a query string or a form body (SMART `authorize-post`) the same way. */
export function readAuthorizeParams(search: URLSearchParams): AuthorizeParams {
  const values = new Map<string, string>();
  const duplicates = new Set<string>();
  for (const [name, value] of search) {
    // RFC 6749 §3.1: "Parameters sent without a value MUST be treated as if they were omitted."
    if (value === '') continue;
    if (values.has(name) || duplicates.has(name)) {
      duplicates.add(name);
      values.delete(name);
    } else {
      values.set(name, value);
    }
  }
  return { values, duplicates };
}
