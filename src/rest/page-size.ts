import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { RestContext } from './rest-context.js';

/** `_count` (R4 §3.1.1.5.7): absent → the default; above the cap → the cap, never an error. */
export function pageSize(ctx: Pick<RestContext, 'defaultCount' | 'maxCount'>, value: string | null): number {
  if (value === null) return ctx.defaultCount;
  if (!/^\d{1,9}$/.test(value)) throw new FhirkeepError('invalid-parameter', `_count must be a whole number, got "${value}"`);
  return Math.min(Number(value), ctx.maxCount);
}
