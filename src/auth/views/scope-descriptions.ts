/**
 * Plain words for the scopes an app asks for, shown on the consent page. Display only: the
 * scope grammar itself (and what it grants) lives with the SMART scope functions.
 */
const FIXED: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (your sign-in identity)',
  fhirUser: 'See which record (Patient or Practitioner) represents you',
  profile: 'See your name and profile',
  launch: 'Receive the patient and encounter your EHR opened it with',
  'launch/patient': 'Know which patient record is selected',
  'launch/encounter': 'Know which encounter is selected',
  offline_access: 'Keep its access after you sign out, until you revoke it',
  online_access: 'Keep its access while you are signed in',
};

/** SMART v1 suffixes (App Launch 1.0 §scopes) and v2 letters (App Launch 2.x §3.0.2.1). */
const V1_ACTIONS: Readonly<Record<string, string>> = {
  read: 'Read',
  write: 'Create, change and delete',
  '*': 'Read, create, change and delete',
};
const V2_LETTERS: Readonly<Record<string, string>> = { c: 'create', r: 'read', u: 'change', d: 'delete', s: 'search' };

const SUBJECTS: Readonly<Record<string, string>> = {
  patient: 'of the selected patient',
  user: 'that you can access',
  system: 'on the whole server',
};

const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Za-z]+|\*)\.(read|write|\*|[cruds]+)(?:\?(.+))?$/;

export function describeScope(scope: string): string {
  const fixed = FIXED[scope];
  if (fixed !== undefined) return fixed;
  const m = RESOURCE_SCOPE.exec(scope);
  if (m === null) return `Use the permission “${scope}”`;
  const [, subject = '', type = '', action = '', query] = m;
  const verb = V1_ACTIONS[action] ?? capitalise(joinWords([...action].map((c) => V2_LETTERS[c] ?? c)));
  const what = type === '*' ? 'all records' : `${type} records`;
  const only = query === undefined ? '' : ` (only where ${query})`;
  return `${verb} ${what} ${SUBJECTS[subject] ?? ''}${only}`;
}

function joinWords(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
