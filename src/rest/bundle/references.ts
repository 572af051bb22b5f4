import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/**
 * Rewrites every `Reference.reference` inside `value` (R4 §3.1.0.11.2): a reference to another
 * entry's `urn:uuid:`/`urn:oid:` fullUrl becomes that entry's `Type/id`; a conditional reference
 * (`Type?criteria`) becomes what `resolveConditional` finds. A `urn:` reference to nothing in the
 * bundle cannot be kept (it would dangle forever), so it is an error.
 */
export async function rewriteReferences(
  value: unknown,
  where: string,
  fullUrls: ReadonlyMap<string, string>,
  resolveConditional: (reference: string) => Promise<string>,
): Promise<void> {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    const obj = node as Record<string, unknown>;
    const ref = obj.reference;
    if (typeof ref === 'string') {
      if (/^urn:(uuid|oid):/.test(ref)) {
        const target = fullUrls.get(ref);
        if (target === undefined) {
          throw new FhirkeepError('invalid-resource', `${where} refers to ${ref}, which no entry of the bundle has as fullUrl`, {
            details: [{ message: `dangling reference ${ref}`, expression: where }],
          });
        }
        obj.reference = target;
      } else if (/^[A-Z][A-Za-z]+\?/.test(ref)) {
        obj.reference = await resolveConditional(ref);
      }
    }
    for (const v of Object.values(obj)) if (v !== null && typeof v === 'object') stack.push(v);
  }
}
