import type { Account } from '../auth/accounts/account.js';
import type { PatientDirectory, PatientSummary } from '../auth/oauth/authorize/authorize-dependencies.js';
import type { FhirResponse } from '../rest/fhir-request.js';
import type { FhirRouter } from '../rest/router.js';
import { isFhirId } from '../fhir/fhir-id.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { holderRule } from './consent-rule.js';
import { systemScope, type AccessScope } from './scope.js';
import { compileSmartRule, type SmartDefinitions } from './smart-access.js';

interface PatientJson {
  readonly id?: string;
  readonly birthDate?: string;
  readonly name?: readonly { readonly text?: string; readonly given?: readonly string[]; readonly family?: string }[];
}

function bodyOf(res: FhirResponse): unknown {
  if (res.body === undefined) return undefined;
  return res.body.kind === 'raw' ? JSON.parse(res.body.text) : res.body.value;
}

function summaryOf(p: PatientJson): PatientSummary | undefined {
  if (p.id === undefined) return undefined;
  const n = p.name?.[0];
  const name = n?.text ?? [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
  return { id: p.id, name: name === '' ? `Patient/${p.id}` : name, ...(p.birthDate === undefined ? {} : { birthDate: p.birthDate }) };
}

/**
 * Which patients an account may pick for an app (the SMART patient picker) or launch an app
 * for. Practitioners choose among the patients whose holders share their record with an
 * organization the practitioner belongs to, admins among all (docs/access.md); an account holder
 * only ever gets their own record; other roles none. Lookups go through the FHIR router in the
 * account's own scope, so the picker shows no one the access engine would hide.
 */
export function patientDirectory(router: FhirRouter, defs: SmartDefinitions): PatientDirectory {
  const smart = compileSmartRule(parseScopeString('user/Patient.rs'), {}, defs);
  const scopeOf = (account: Account): AccessScope => {
    const rule = holderRule(smart, account);
    return { ...systemScope('SMART patient picker'), principal: { kind: 'account', accountId: account.id }, read: rule, write: { kind: 'none' } };
  };
  const mayChooseAny = (account: Account) => account.roles.includes('practitioner') || account.roles.includes('admin');
  const read = async (account: Account, id: string): Promise<PatientSummary | undefined> => {
    // The id comes from a form: anything but an id would address another interaction.
    if (!isFhirId(id)) return undefined;
    const scope = scopeOf(account);
    const res = await router.handle({ method: 'GET', path: `Patient/${id}`, query: new URLSearchParams(), body: undefined, contentType: undefined, headers: {}, scope });
    return res.status === 200 ? summaryOf(bodyOf(res) as PatientJson) : undefined;
  };
  return {
    async search(account, text, limit) {
      if (!mayChooseAny(account)) {
        const own = account.patientId === undefined ? undefined : await read(account, account.patientId);
        return own === undefined ? [] : [own];
      }
      const query = new URLSearchParams({ _count: String(limit) });
      if (text.trim() !== '') query.set('name', text.trim());
      const res = await router.handle({ method: 'GET', path: 'Patient', query, body: undefined, contentType: undefined, headers: {}, scope: scopeOf(account) });
      if (res.status !== 200) return [];
      const bundle = bodyOf(res) as { entry?: readonly { resource?: PatientJson }[] };
      return (bundle.entry ?? []).flatMap((e) => {
        const s = e.resource === undefined ? undefined : summaryOf(e.resource);
        return s === undefined ? [] : [s];
      });
    },
    async find(account, id) {
      if (!mayChooseAny(account) && account.patientId !== id) return undefined;
      return read(account, id);
    },
  };
}
