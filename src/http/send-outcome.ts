import type { FastifyReply } from 'fastify';
import type { FhirkeepError } from '../errors/fhirkeep-error.js';
import { outcomeOf } from '../errors/operation-outcome.js';

/** Sends a FhirkeepError as an OperationOutcome with the status from the error table. */
export function sendOutcome(reply: FastifyReply, error: FhirkeepError, type = 'application/fhir+json'): void {
  reply
    .status(error.status)
    .headers(error.headers)
    .type(`${type}; charset=utf-8`)
    .send(JSON.stringify(outcomeOf(error)));
}
