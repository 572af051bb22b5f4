import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { referenceHolders } from '../../fhir/reference-holders.js';

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
  for (const holder of referenceHolders(value)) {
    const ref = holder.reference;
    if (/^urn:(uuid|oid):/.test(ref)) {
      const target = fullUrls.get(ref);
      if (target === undefined) {
        throw new FhirkeepError('invalid-resource', `${where} refers to ${ref}, which no entry of the bundle has as fullUrl`, {
          details: [{ message: `dangling reference ${ref}`, expression: where }],
        });
      }
      holder.reference = target;
    } else if (/^[A-Z][A-Za-z]+\?/.test(ref)) {
      holder.reference = await resolveConditional(ref);
    }
  }
}
