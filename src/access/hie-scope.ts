import type { HieCaller } from '../auth/dialects/hie/hie-sessions.js';
import type { HieProfile } from '../auth/dialects/hie/profile.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { outermostAreas } from '../fhir/area-code.js';
import { compileApplicationRule } from './consent-rule.js';
import type { AccessScope, CatchmentReach, ConsentRule } from './scope.js';
import { compileSmartRule, type SmartDefinitions } from './smart-access.js';

/**
 * What an HIE user's profiles reach (docs/hie.md): a patient profile its own Patient's
 * compartment; a provider, facility or admin profile the Patients living in its catchments.
 * Confidential encounters are hidden from a user with a provider or facility profile, unless an
 * admin profile says they may see everything in their areas.
 */
export function catchmentReach(profiles: readonly HieProfile[]): CatchmentReach {
  const has = (type: HieProfile['type']) => profiles.some((p) => p.type === type);
  return {
    kind: 'catchment',
    patients: [...new Set(profiles.filter((p) => p.type === 'patient').map((p) => p.id))].sort(),
    areaPrefixes: outermostAreas(profiles.flatMap((p) => (p.type === 'patient' ? [] : p.catchments))),
    hideConfidential: (has('provider') || has('facility')) && !has('admin'),
  };
}

/** The dialect reads and searches; it writes nothing (the partners' clients submit elsewhere). */
const HIE_SCOPES = parseScopeString('user/*.rs');

/**
 * An HIE user's scope: reads and searches of every type, within their reach, directory data
 * (outside every patient compartment) included and the public pool not (as for an account on
 * Fhirkeep's own pages). No writes (403). Compiled per request from the profiles read with the
 * session, so a changed catchment applies from the next request.
 */
export function hieScope(caller: HieCaller, defs: SmartDefinitions): AccessScope {
  const rule: ConsentRule = {
    kind: 'consented',
    smart: compileSmartRule(HIE_SCOPES, {}, defs),
    blocks: compileApplicationRule('', undefined, () => undefined).blocks,
    reach: catchmentReach(caller.profiles),
    writeMode: 'none',
    settableLabels: 'not-platform',
    stampedLabels: [],
  };
  return { principal: { kind: 'hie', accountId: caller.accountId, clientId: caller.clientId }, read: rule, write: { kind: 'none' }, ownerAccount: caller.accountId, sourceApp: null };
}
