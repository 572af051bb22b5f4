import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { RegisteredClient } from '../../clients/client.js';
import { LIFETIMES } from '../../tokens/lifetimes.js';
import type { TokenResponse } from '../token-response.js';

/**
 * The research partners' token dialect (docs/research.md): partners ask for `scope=full` and
 * are told when they signed their data-use agreement. What `full` means is Fhirkeep's to say:
 * reading and searching, within the study each request names and the partner's access filter.
 */
export const RESEARCH_SCOPE = 'full';
const RESEARCH_SMART_SCOPES: readonly string[] = ['system/*.rs'];

/** The SMART scopes and lifetime of a research partner's token; any scope but `full` is refused. */
export function researchAccess(requested: string | undefined): { readonly scopes: readonly string[]; readonly lifetime: number } {
  // Strict on purpose: a partner sending a SMART scope is talking another dialect, and would be
  // surprised by what it gets.
  if (requested !== RESEARCH_SCOPE) throw new FhirkeepError('invalid-scope', `A research partner asks for scope=${RESEARCH_SCOPE}`);
  return { scopes: RESEARCH_SMART_SCOPES, lifetime: LIFETIMES.researchToken };
}

/** The response as the partner documentation shows it: `scope: "full"` and `consented_on` (epoch seconds). */
export function researchResponse(response: TokenResponse, client: RegisteredClient): TokenResponse {
  // Every research partner has one (registration sets it, migration 7 backfilled older ones).
  if (client.agreementSignedAt === undefined) throw new Error(`Research partner ${client.id} has no data-use agreement date`);
  return { ...response, scope: RESEARCH_SCOPE, consented_on: Math.floor(client.agreementSignedAt.getTime() / 1000) };
}
