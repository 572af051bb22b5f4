import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.js';
import { statisticsClient, statisticsPath, type RequestStatistics } from '../audit/request-statistics.js';

interface Counted {
  readonly clientId: string;
  diagnostics?: string | undefined;
}

/** The requests that count, by the routes that know their scope; a WeakMap, so nothing outlives its request. */
const counted = new WeakMap<FastifyRequest, Counted>();

/**
 * Says that `request` counts in its client's statistics (the FHIR and Bulk Data routes call it once
 * the scope is known); a principal without a client (anonymous, an account, the system) counts nowhere.
 */
export function countForClient(request: FastifyRequest, principal: Principal): void {
  const clientId = statisticsClient(principal);
  if (clientId !== undefined) counted.set(request, { clientId });
}

/** Error bodies read for their diagnostics only up to this size: an OperationOutcome is small. */
const MAX_OUTCOME_TEXT = 64 * 1024;

/**
 * Hands every counted request to the statistics when its answer is sent: status, time, and for an
 * error its OperationOutcome's diagnostics (read from the text the route sends, never stored whole).
 */
export function registerStatisticsHooks(app: FastifyInstance, statistics: Pick<RequestStatistics, 'record'>): void {
  // Callback-style hooks: cheaper than async ones on every request.
  app.addHook('onSend', (request, reply, payload, done) => {
    const entry = counted.get(request);
    if (entry !== undefined && reply.statusCode >= 400 && typeof payload === 'string' && payload.length <= MAX_OUTCOME_TEXT) {
      entry.diagnostics = diagnosticsOf(payload);
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const entry = counted.get(request);
    if (entry !== undefined) {
      statistics.record({
        clientId: entry.clientId,
        method: request.method,
        path: statisticsPath(request.url),
        status: reply.statusCode,
        ms: reply.elapsedTime,
        diagnostics: entry.diagnostics,
      });
    }
    done();
  });
}

function diagnosticsOf(text: string): string | undefined {
  let outcome: unknown;
  try {
    outcome = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof outcome !== 'object' || outcome === null || (outcome as { resourceType?: unknown }).resourceType !== 'OperationOutcome') return undefined;
  const issues = (outcome as { issue?: unknown }).issue;
  if (!Array.isArray(issues)) return undefined;
  const texts = issues.flatMap((i: unknown) => {
    const d = typeof i === 'object' && i !== null ? (i as { diagnostics?: unknown }).diagnostics : undefined;
    return typeof d === 'string' ? [d] : [];
  });
  return texts.length === 0 ? undefined : texts.join(' · ');
}
