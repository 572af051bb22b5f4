import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';

/** The R4 model the `fhirpath` package ships: element types, choice types, repeated paths. */
export const r4Model = r4;

/** A function from a node (a resource or one of its elements) to the values an expression selects. */
export type Accessor = (node: unknown) => unknown[];

/**
 * `where(resolve() is X)` needs a server to resolve references; search only ever uses it to
 * pick references of one type, which the reference text already says (R4 §3.1.1.4.10).
 */
export function withoutResolve(expression: string): string {
  return expression.replace(/where\(resolve\(\) is ([A-Za-z]+)\)/g, "where(reference.startsWith('$1/') or reference.contains('/$1/'))");
}

/**
 * Compiles an expression with the `fhirpath` engine (the general path, ~2–10 µs per call).
 * `base` is the model path of the node it starts from, for expressions relative to an element.
 */
export function fhirpathAccessor(expression: string, base?: string): Accessor {
  const compiled = fhirpath.compile(base === undefined ? withoutResolve(expression) : { base, expression: withoutResolve(expression) }, r4Model);
  return (node) => compiled(node as Record<string, unknown>) as unknown[];
}
