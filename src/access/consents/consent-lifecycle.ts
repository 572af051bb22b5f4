import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ConsentStatus } from './consent.js';

/**
 * Where each status may go (R4 ConsentState; issue 5: draft → proposed → active, active ↔
 * inactive). `rejected` is final except for correction, `entered-in-error` is final. A holder who
 * changes their mind after a rejection grants again (ConsentService.grant), a new decision.
 */
const NEXT: Readonly<Record<ConsentStatus, readonly ConsentStatus[]>> = {
  draft: ['proposed', 'active', 'rejected', 'inactive', 'entered-in-error'],
  proposed: ['active', 'rejected', 'inactive', 'entered-in-error'],
  active: ['inactive', 'entered-in-error'],
  inactive: ['active', 'entered-in-error'],
  rejected: ['entered-in-error'],
  'entered-in-error': [],
};

/** Throws `version-conflict` (409) for a move the lifecycle does not allow; staying put is allowed. */
export function checkTransition(from: ConsentStatus, to: ConsentStatus): void {
  if (from === to || NEXT[from].includes(to)) return;
  const allowed = NEXT[from];
  throw new FhirkeepError(
    'version-conflict',
    `A consent that is ${from} cannot become ${to}${allowed.length === 0 ? ` (${from} is final)` : ` (it can become ${allowed.join(', ')})`}`,
  );
}
