import { ERROR_TABLE } from './codes.js';
import { FhirkeepError } from './fhirkeep-error.js';

export interface OperationOutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

/** FHIR R4 §3.1.0.4: one issue per problem, so a client sees every failing path at once. */
export function outcomeOf(error: FhirkeepError): OperationOutcome {
  const issueCode = ERROR_TABLE[error.code].issue;
  const issues: OperationOutcomeIssue[] =
    error.details.length === 0
      ? [{ severity: 'error', code: issueCode, diagnostics: error.message }]
      : error.details.map((d) => ({
          severity: 'error',
          code: issueCode,
          diagnostics: d.message,
          ...(d.expression === undefined ? {} : { expression: [d.expression] }),
        }));
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function informationOutcome(message: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: message }] };
}
