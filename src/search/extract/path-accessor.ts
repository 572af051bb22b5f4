import { r4Model, type Accessor } from './fhirpath-r4.js';

type Step = (nodes: unknown[]) => unknown[];

/**
 * Compiles the simple FHIRPath expressions most SearchParameters use — a path of element
 * names, `ofType(T)` on a choice element, `where(resolve() is T)` and `where(field = 'text')` —
 * into direct property access, about 20× faster than the general engine on the ingest hot path.
 * Returns undefined for anything else; callers then use the `fhirpath` engine, and a test
 * checks both give the same values. `base` is the model path the expression starts from
 * (a resource type, or an element path for composite components).
 */
export function compilePathAccessor(expression: string, base?: string): Accessor | undefined {
  const union = splitUnion(expression);
  if (union.length > 1) {
    const parts = union.map((part) => compilePathAccessor(part, base));
    if (parts.some((a) => a === undefined)) return undefined;
    const accessors = parts as Accessor[];
    return (node) => accessors.flatMap((a) => a(node));
  }
  const segments = splitSegments(unwrapHead(stripParens(expression.trim())));
  if (segments === undefined || segments.length === 0) return undefined;
  let context: string;
  if (base === undefined) {
    const root = segments.shift() as string;
    if (!/^[A-Z][A-Za-z]+$/.test(root)) return undefined;
    context = root;
  } else {
    context = base;
  }
  const steps: Step[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (!/^[a-z][A-Za-z0-9]*$/.test(segment)) {
      const filter = filterStep(segment);
      if (filter === undefined) return undefined;
      steps.push(filter);
      continue;
    }
    const path = normalise(`${context}.${segment}`);
    const choices = r4Model.choiceTypePaths[path];
    if (choices !== undefined) {
      const ofType = /^ofType\(([A-Za-z]+)\)$/.exec(segments[i + 1] ?? '')?.[1];
      const types = ofType === undefined ? choices : [ofType];
      steps.push(childStep(types.map((t) => segment + t.charAt(0).toUpperCase() + t.slice(1))));
      if (ofType !== undefined) i++;
      // A choice typed by ofType continues in that type; an untyped one must end the path.
      if (ofType === undefined && i < segments.length - 1) return undefined;
      context = ofType ?? '';
      continue;
    }
    const type = r4Model.path2Type[path];
    if (type === undefined) return undefined;
    steps.push(childStep([segment]));
    context = type === 'BackboneElement' || type === 'Element' ? path : type;
  }
  return (node) => {
    let nodes: unknown[] = [node];
    for (const step of steps) {
      nodes = step(nodes);
      if (nodes.length === 0) break;
    }
    return nodes;
  };
}

function childStep(keys: readonly string[]): Step {
  return (nodes) => {
    const out: unknown[] = [];
    for (const node of nodes) {
      if (typeof node !== 'object' || node === null) continue;
      for (const key of keys) {
        const value = (node as Record<string, unknown>)[key];
        if (Array.isArray(value)) {
          for (const v of value) if (v !== null && v !== undefined) out.push(v);
        } else if (value !== null && value !== undefined) {
          out.push(value);
        }
      }
    }
    return out;
  };
}

function filterStep(segment: string): Step | undefined {
  const resolveType = /^where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(segment)?.[1];
  if (resolveType !== undefined) {
    const prefix = `${resolveType}/`;
    const inner = `/${resolveType}/`;
    return (nodes) =>
      nodes.filter((n) => {
        const ref = (n as { reference?: unknown } | null)?.reference;
        return typeof ref === 'string' && (ref.startsWith(prefix) || ref.includes(inner));
      });
  }
  const equals = /^where\(([a-z][A-Za-z]*) ?= ?'([^'\\]*)'\)$/.exec(segment);
  if (equals !== null) {
    const [, field, literal] = equals as unknown as [string, string, string];
    return (nodes) => nodes.filter((n) => (n as Record<string, unknown> | null)?.[field] === literal);
  }
  return undefined;
}

/** The model's canonical path for one defined in another place (e.g. `Bundle.entry.link` → `Bundle.link`). */
function normalise(path: string): string {
  return r4Model.pathsDefinedElsewhere[path] ?? path;
}

/** `(A.b.ofType(X)).c` → `A.b.ofType(X).c`: parentheses around a leading path change nothing. */
function unwrapHead(s: string): string {
  if (!s.startsWith('(')) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return s[i + 1] === '.' ? `${s.slice(1, i)}${s.slice(i + 1)}` : s;
  }
  return s;
}

/** The members of a top-level union `A | B` (the engine's result order: A's values, then B's). */
function splitUnion(s: string): string[] {
  return (splitTopLevel(s, (ch) => (ch === '|' ? 'split' : 'keep')) as string[]).map((p) => p.trim());
}

function stripParens(s: string): string {
  while (s.startsWith('(') && s.endsWith(')') && balanced(s.slice(1, -1))) s = s.slice(1, -1).trim();
  return s;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** Splits on the dots outside parentheses and quotes; undefined for anything with operators. */
function splitSegments(s: string): string[] | undefined {
  return splitTopLevel(s, (ch) => (ch === '.' ? 'split' : /[A-Za-z0-9_]/.test(ch) ? 'keep' : 'refuse'));
}

/** Splits where `at` says so, outside parentheses and quoted strings; undefined if `at` refuses a character. */
function splitTopLevel(s: string, at: (ch: string) => 'split' | 'keep' | 'refuse'): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0) {
      const what = at(ch);
      if (what === 'refuse') return undefined;
      if (what === 'split') {
        out.push(s.slice(start, i));
        start = i + 1;
      }
    }
  }
  out.push(s.slice(start));
  return out;
}
