/** An element with a `reference` (R4 Reference), whose value a caller may rewrite in place. */
export interface ReferenceHolder {
  reference: string;
}

/** Every element inside `value` (a resource, or any JSON in it) that holds a string `reference`. */
export function* referenceHolders(value: unknown): Generator<ReferenceHolder> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const obj = node as Record<string, unknown>;
    if (typeof obj.reference === 'string') yield obj as unknown as ReferenceHolder;
    for (const v of Object.values(obj)) if (v !== null && typeof v === 'object') stack.push(v);
  }
}
