import { ERROR_TABLE, type ErrorCode } from './codes.js';

/** One problem of an error, pointing at where in the input it is (FHIRPath-like `expression`). */
export interface ErrorDetail {
  readonly message: string;
  readonly expression?: string;
}

/**
 * The only error type handlers throw on purpose. It carries a stable code; the HTTP status and
 * the OperationOutcome are derived from {@link ERROR_TABLE}, never chosen at the throw site.
 */
export class FhirkeepError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  /** Extra response headers the error needs (e.g. `Retry-After`, `Allow`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: readonly ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FhirkeepError';
    this.code = code;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }
}

export function isFhirkeepError(e: unknown): e is FhirkeepError {
  return e instanceof FhirkeepError;
}
