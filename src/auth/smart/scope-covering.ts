import { formatScope, parseScope, PERMISSION_ORDER, type ParsedScope, type ResourceScope, type ScopeFilterParam } from './scopes.js';

/**
 * Whether `granted` allows everything `requested` asks for: the same context scope, or a
 * resource scope at the same level whose type (or `*`) and letters include the requested ones
 * (v1 and v2 compared by letters: `read` is `rs`). A granted scope without a filter covers a
 * filtered one; a filtered one covers only requests with every one of its parameters (a request
 * with more parameters asks for less).
 */
export function scopeCovers(granted: ParsedScope, requested: ParsedScope): boolean {
  if (granted.kind === 'context' || requested.kind === 'context') return granted.kind === 'context' && requested.kind === 'context' && granted.name === requested.name;
  if (granted.level !== requested.level) return false;
  if (granted.type !== '*' && granted.type !== requested.type) return false;
  if (!requested.permissions.every((p) => granted.permissions.includes(p))) return false;
  const asked = new Set(requested.filter.map(pairKey));
  return granted.filter.every((p) => asked.has(pairKey(p)));
}

/**
 * What a client gets when it asks for `requested` and may have `allowed` (its registered scopes
 * at authorize/token time; the grant's scopes when a refresh asks for a subset, RFC 6749 §6).
 * Each requested scope is granted as far as one allowed scope reaches: `patient/*.rs` under
 * `patient/Observation.rs` becomes that; `patient/Observation.cruds` under `patient/Observation.rs`
 * becomes `patient/Observation.rs`. `refused` lists every requested scope not covered whole by
 * one allowed scope (a refresh must refuse if it is non-empty; an authorization grants the rest).
 * Malformed scopes on either side throw `invalid-scope`.
 */
export function narrowScopes(requested: readonly string[], allowed: readonly string[]): { granted: string[]; refused: string[] } {
  const allowedScopes = allowed.map(parseScope);
  const granted = new Set<string>();
  const refused: string[] = [];
  for (const text of requested) {
    const asked = parseScope(text);
    if (!allowedScopes.some((a) => scopeCovers(a, asked))) refused.push(text);
    for (const a of allowedScopes) {
      const common = intersect(asked, a);
      if (common !== undefined) granted.add(formatScope(common));
    }
  }
  return { granted: [...granted], refused };
}

/** The largest scope both allow, if any. */
function intersect(asked: ParsedScope, allowed: ParsedScope): ParsedScope | undefined {
  if (asked.kind === 'context' || allowed.kind === 'context') return scopeCovers(allowed, asked) ? asked : undefined;
  if (scopeCovers(allowed, asked)) return asked;
  if (asked.level !== allowed.level) return undefined;
  if (asked.type !== '*' && allowed.type !== '*' && asked.type !== allowed.type) return undefined;
  const permissions = PERMISSION_ORDER.filter((p) => asked.permissions.includes(p) && allowed.permissions.includes(p));
  if (permissions.length === 0) return undefined;
  // Filter parameters all hold at once, so both filters together are their intersection.
  const filter: ScopeFilterParam[] = [...asked.filter];
  const have = new Set(filter.map(pairKey));
  for (const p of allowed.filter) if (!have.has(pairKey(p))) filter.push(p);
  // A v1 request stays v1 where its letters allow (formatScope falls back to letters otherwise).
  const syntax = asked.syntax === 'v1' && filter.length === 0 ? 'v1' : 'v2';
  const scope: ResourceScope = { kind: 'resource', level: asked.level, type: asked.type === '*' ? allowed.type : asked.type, permissions, syntax, filter };
  return scope;
}

function pairKey(p: ScopeFilterParam): string {
  return `${p.name}\u0000${p.value}`;
}
