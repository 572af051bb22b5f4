/**
 * The int key of a resource type's search parameter in the index tables: FNV-1a of
 * `Type.code`. Derived, not stored in a registry table, so every node computes the same key
 * without coordination; the registry checks at start that no two parameters collide.
 */
export function paramKey(type: string, code: string): number {
  const s = `${type}.${code}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}
