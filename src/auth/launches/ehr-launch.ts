import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { isFhirId } from '../../fhir/fhir-id.js';
import { parseJsonBody } from '../../rest/resource-body.js';
import type { Account } from '../accounts/account.js';
import type { LaunchContext } from '../grants/grant.js';
import type { AuthorizeDependencies } from '../oauth/authorize/authorize-dependencies.js';
import { canPickPatients } from '../oauth/authorize/patient-choice.js';

/** What `POST /api/launches` answers. */
export interface LaunchCreated {
  readonly launch: string;
  /** The client's launch URL with `iss` and `launch` (SMART App Launch 2.x §"EHR launch"), when it registered one. */
  readonly launch_url?: string;
}

interface LaunchInput {
  readonly patient: string;
  readonly context: LaunchContext;
  readonly clientId: string | undefined;
}

const bad = (message: string): FhirkeepError => new FhirkeepError('invalid-parameter', message);

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw bad(`${name} must be a non-empty string`);
  return value;
}

function isWebUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Reads `{ patient, encounter?, client_id?, need_patient_banner?, smart_style_url?, intent? }`. */
function parseLaunchInput(text: string): LaunchInput {
  // The one JSON body reader: it also refuses \u0000, which the stored launch context (jsonb) cannot hold.
  const body = parseJsonBody(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('The body must be a JSON object');
  const fields = body as Record<string, unknown>;
  const known = new Set(['patient', 'encounter', 'client_id', 'need_patient_banner', 'smart_style_url', 'intent']);
  const unknown = Object.keys(fields).find((k) => !known.has(k));
  if (unknown !== undefined) throw bad(`Unknown member: ${unknown}`);
  const patient = optionalString(fields, 'patient');
  if (patient === undefined || !isFhirId(patient)) throw bad('patient must be a Patient id');
  const encounter = optionalString(fields, 'encounter');
  if (encounter !== undefined && !isFhirId(encounter)) throw bad('encounter must be an Encounter id');
  const banner = fields.need_patient_banner;
  if (banner !== undefined && typeof banner !== 'boolean') throw bad('need_patient_banner must be true or false');
  const styleUrl = optionalString(fields, 'smart_style_url');
  if (styleUrl !== undefined && !isWebUrl(styleUrl)) throw bad('smart_style_url must be an http(s) URL');
  const intent = optionalString(fields, 'intent');
  return {
    patient,
    clientId: optionalString(fields, 'client_id'),
    context: {
      patient,
      ...(encounter === undefined ? {} : { encounter }),
      ...(banner === undefined ? {} : { needPatientBanner: banner }),
      ...(styleUrl === undefined ? {} : { smartStyleUrl: styleUrl }),
      ...(intent === undefined ? {} : { intent }),
    },
  };
}

/**
 * An EHR launch made by a practitioner or administrator for a patient they can see: a
 * single-use launch value (bound to one app when `client_id` is given) and the URL that opens it.
 */
export async function createEhrLaunch(
  account: Account,
  body: string,
  deps: Pick<AuthorizeDependencies, 'clients' | 'patients' | 'grants' | 'fhirBase'>,
): Promise<LaunchCreated> {
  if (!canPickPatients(account)) throw new FhirkeepError('forbidden', 'Only practitioners and administrators launch apps for a patient');
  const { patient, context, clientId } = parseLaunchInput(body);
  if ((await deps.patients.find(account, patient)) === undefined) throw bad(`No patient ${patient} that you can access`);
  const client = clientId === undefined ? undefined : await deps.clients.find(clientId);
  if (clientId !== undefined && (client === undefined || client.revoked || client.type !== 'smart')) throw bad(`No active SMART application ${clientId}`);
  const launch = await deps.grants.createLaunch(context, clientId);
  if (client?.launchUri === undefined) return { launch };
  const url = new URL(client.launchUri);
  url.searchParams.set('iss', deps.fhirBase());
  url.searchParams.set('launch', launch);
  return { launch, launch_url: url.toString() };
}
