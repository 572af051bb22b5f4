import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { FhirMethod, FhirRequest } from './fhir-request.js';

/** RFC 9110 §15.5.6: a method the path does not answer is a 405 naming those it does (and `why`, when given). */
export function allow(method: FhirMethod, allowed: readonly FhirMethod[], req: FhirRequest, why?: string): void {
  if (!allowed.includes(method)) {
    throw new FhirkeepError('method-not-allowed', `${method} is not allowed on /${req.path}${why === undefined ? '' : `: ${why}`}`, {
      headers: { Allow: allowed.join(', ') },
    });
  }
}
