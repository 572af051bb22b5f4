import type { LaunchContext } from '../grants/grant.js';

/**
 * The token endpoint's success body: RFC 6749 §5.1 plus OpenID Connect's id_token and the
 * SMART App Launch launch-context fields.
 */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirContext?: LaunchContext['fhirContext'];
  readonly need_patient_banner?: boolean;
  readonly smart_style_url?: string;
  readonly intent?: string;
  /** A research partner's token: when it signed its data-use agreement, in epoch seconds (docs/research.md). */
  readonly consented_on?: number;
}

/** The SMART launch-context fields of a grant, as token-response members. */
export function launchFields(context: LaunchContext): Partial<TokenResponse> {
  return {
    ...(context.patient === undefined ? {} : { patient: context.patient }),
    ...(context.encounter === undefined ? {} : { encounter: context.encounter }),
    ...(context.fhirContext === undefined ? {} : { fhirContext: context.fhirContext }),
    ...(context.needPatientBanner === undefined ? {} : { need_patient_banner: context.needPatientBanner }),
    ...(context.smartStyleUrl === undefined ? {} : { smart_style_url: context.smartStyleUrl }),
    ...(context.intent === undefined ? {} : { intent: context.intent }),
  };
}
