import { MAX_DISPLAY_NAME } from '../../../auth/accounts/account-input.js';
import { EMAIL, MAX_EMAIL, MAX_LOCAL_PART, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from '../../../auth/accounts/credentials-policy.js';
import { MAX_ORGANIZATION_TEXT } from '../../../auth/accounts/organization-input.js';
import { MAX_GROUP_LENGTH } from '../../../auth/dialects/hie/profile.js';
import { GROUP_NAME, MAX_NAME } from '../../../access/content/taxonomy-admin.js';
import { MAX_LABEL } from '../../../access/content/taxonomy.js';
import { AREA_CODE } from '../../../fhir/area-code.js';
import { FHIR_ID } from '../../../fhir/fhir-id.js';

/**
 * The HTML constraints of an admin form field, so the browser refuses before the post what the
 * service would refuse after it. The patterns are the services' own regular expressions where
 * they have one; field-rules.test.ts holds each rule against the service's check.
 */
export interface FieldRule {
  readonly pattern?: string;
  readonly minlength?: number;
  readonly maxlength?: number;
  readonly inputmode?: 'email';
  /** What the service says of a value these constraints refuse; the form's script shows it as one types. */
  readonly message: string;
}

/** A service's `^…$` expression as an HTML pattern (which the browser anchors itself, with the v flag). */
function patternOf(re: RegExp): string {
  if (!re.source.startsWith('^') || !re.source.endsWith('$')) throw new Error(`${re.source} is not anchored`);
  return re.source.slice(1, -1);
}

/** The pattern of a value the portal trims before the service checks it. */
function trimmed(pattern: string): string {
  return `\\s*(?:${pattern})\\s*`;
}

/** Some character other than white space (the services trim, then refuse what is empty). */
const NOT_BLANK = '[\\s\\S]*\\S[\\s\\S]*';
const AREA = patternOf(AREA_CODE);
const NO_CONTROL = '[^\\x00-\\x1F\\x7F]';

export const FIELD_RULES = {
  email: {
    // The local part's bound is in octets at the service: the lookahead counts characters, the same for ASCII.
    pattern: trimmed(`(?=[^@]{1,${MAX_LOCAL_PART}}@)${patternOf(EMAIL)}`),
    maxlength: MAX_EMAIL,
    inputmode: 'email',
    message: `Not an email address: one @, no spaces; at most ${MAX_LOCAL_PART} characters before the @, ${MAX_EMAIL} in all`,
  },
  password: { minlength: PASSWORD_MIN_LENGTH, maxlength: PASSWORD_MAX_LENGTH, message: passwordProblem('') ?? '' },
  displayName: { maxlength: MAX_DISPLAY_NAME, message: `The name must have at most ${MAX_DISPLAY_NAME} characters` },
  fhirId: { pattern: trimmed(patternOf(FHIR_ID)), message: 'Not a FHIR id: 1–64 letters, digits, "-" and "."' },
  organizationName: { pattern: NOT_BLANK, maxlength: MAX_ORGANIZATION_TEXT, message: `A name has 1 to ${MAX_ORGANIZATION_TEXT} characters` },
  identifier: {
    pattern: '[^\\|]*[^\\|\\s][^\\|]*\\|[\\s\\S]*\\S[\\s\\S]*',
    maxlength: 2 * MAX_ORGANIZATION_TEXT + 1,
    message: `An identifier is SYSTEM|VALUE: both parts given, at most ${MAX_ORGANIZATION_TEXT} characters each`,
  },
  groupName: {
    pattern: trimmed(patternOf(GROUP_NAME)),
    maxlength: MAX_NAME,
    message: `Not a valid name: letters, digits, '.', '_', '-', starting with a letter or digit; at most ${MAX_NAME} characters`,
  },
  label: { pattern: NOT_BLANK, maxlength: MAX_LABEL, message: `Give a label of 1 to ${MAX_LABEL} characters` },
  study: { pattern: NOT_BLANK, message: 'Give the ResearchStudy id, or SYSTEM|VALUE of its identifier' },
  catchments: {
    pattern: `[\\s,]*(?:${AREA}(?:[\\s,]+${AREA})*[\\s,]*)?`,
    message: 'Area codes are 2 to 12 digits, an even number, separated by spaces or commas',
  },
  hieGroup: {
    pattern: `\\s*${NO_CONTROL}*[^\\s\\x00-\\x1F\\x7F]${NO_CONTROL}*\\s*`,
    maxlength: MAX_GROUP_LENGTH,
    message: `A group name has 1 to ${MAX_GROUP_LENGTH} characters and no control characters`,
  },
} as const satisfies Readonly<Record<string, FieldRule>>;
