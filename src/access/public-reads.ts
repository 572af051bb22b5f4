import { parseScopeString } from '../auth/smart/scopes.js';
import type { AccessScope } from './scope.js';
import { compileSmartRule, type SmartDefinitions } from './smart-access.js';

/**
 * Terminology: code systems, value sets, concept maps and naming systems are directory data, no
 * one's health record, and partners' clients look codes up before anyone signs in (docs/hie.md).
 */
export const TERMINOLOGY_TYPES: readonly string[] = ['CodeSystem', 'ConceptMap', 'NamingSystem', 'ValueSet'];

/**
 * The auth gate's one exception besides `metadata`: a GET of a terminology type (read, vread,
 * search, history) needs no credentials and runs in a scope that reads those types alone. Any
 * other request without credentials is refused (401) as before. Returns the scope for a
 * `(method, path)` (path relative to the FHIR base, e.g. `ValueSet/abc`), or undefined.
 */
export function publicReads(defs: SmartDefinitions): (method: string, path: string) => AccessScope | undefined {
  const rule = compileSmartRule(parseScopeString(TERMINOLOGY_TYPES.map((t) => `user/${t}.rs`).join(' ')), {}, defs);
  const scope: AccessScope = { principal: { kind: 'anonymous' }, read: rule, write: { kind: 'none' }, ownerAccount: null, sourceApp: null };
  return (method, path) => (method === 'GET' && TERMINOLOGY_TYPES.includes(path.split('/', 1)[0] ?? '') ? scope : undefined);
}
