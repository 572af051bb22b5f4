import type { Sql } from 'postgres';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import {
  addGroupMembers,
  deleteContentType,
  deleteGroup,
  insertContentType,
  insertGroup,
  removeGroupMember,
  replaceContentType,
  type CodeRow,
} from '../../storage/content/taxonomy-writes.js';
import { MAX_LABEL, type ContentType, type Taxonomy } from './taxonomy.js';

/** A content type's name: path segments of letters, digits, `.`, `_`, `-` (`body/weight`, `loinc/1234-5`). */
const CONTENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*$/;
/** Group and group-system names: one such segment. */
export const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._\-]*$/;
export const MAX_NAME = 100;
const MAX_SYSTEM = 255;
const MAX_CODE = 255;

/** A coding as an admin gives it: `system|code`, or spelled out with a display. */
export type CodingInput = string | { readonly system: string; readonly code: string; readonly display?: string | undefined };

export interface ContentTypeInput {
  readonly name: string;
  readonly resourceType: string;
  readonly label: string;
  readonly codes: readonly CodingInput[];
}

export interface GroupInput {
  readonly system: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly label: string;
  readonly contents: readonly string[];
}

/** What admins change (API and CLI): every input checked, with the field named, before any write. */
export interface TaxonomyAdmin {
  addContentType(input: ContentTypeInput): Promise<ContentType>;
  /** Replaces resource type, label and codes. */
  replaceContentType(input: ContentTypeInput): Promise<ContentType>;
  deleteContentType(name: string): Promise<void>;
  addGroup(input: GroupInput): Promise<void>;
  deleteGroup(system: string, name: string): Promise<void>;
  addMembers(system: string, group: string, contents: readonly string[]): Promise<void>;
  removeMember(system: string, group: string, content: string): Promise<void>;
}

export interface TaxonomyAdminOptions {
  readonly sql: Sql;
  /** What names and codes are checked against (this node's snapshot; constraints catch races with other nodes). */
  readonly taxonomy: Taxonomy;
  readonly resourceTypes: ReadonlySet<string>;
  /** Runs after each edit: the server reloads its snapshot, so its next answer shows the edit. */
  readonly afterEdit: () => Promise<void>;
}

export function createTaxonomyAdmin({ sql, taxonomy, resourceTypes, afterEdit }: TaxonomyAdminOptions): TaxonomyAdmin {
  const content = (input: ContentTypeInput) => {
    const name = checkName('name', input.name, CONTENT_NAME);
    if (!resourceTypes.has(input.resourceType)) throw bad('resourceType', `${JSON.stringify(input.resourceType)} is not an R4 resource type`);
    const label = checkLabel(input.label);
    const codes = uniqueCodes(input.codes.map((c, i) => parseCoding(`codes[${i}]`, c)));
    for (const c of codes) {
      const owner = taxonomy.contentOfCode(`${c.system}|${c.code}`);
      if (owner !== undefined && owner !== name) throw new FhirkeepError('duplicate', `codes: ${c.system}|${c.code} already maps to content type ${owner}`);
    }
    return { name, resourceType: input.resourceType, label, codes };
  };
  const knownContent = (field: string, name: string) => {
    if (taxonomy.content(name) === undefined) throw bad(field, `there is no content type ${JSON.stringify(name)}`);
    return name;
  };
  const knownGroup = (system: string, name: string) => {
    if (!taxonomy.hasGroup(system, name)) throw new FhirkeepError('not-found', `There is no group ${name} in group system ${system}`);
  };
  const done = async <T>(value: T): Promise<T> => {
    await afterEdit();
    return value;
  };
  // Admins' content types are never dynamic (only auto-registration makes those).
  const view = (c: { name: string; resourceType: string; label: string }): ContentType => ({ name: c.name, resourceType: c.resourceType, label: c.label, dynamic: false });

  return {
    async addContentType(input) {
      const c = content(input);
      if (taxonomy.content(c.name) !== undefined) throw new FhirkeepError('duplicate', `name: there is a content type ${c.name} already`);
      await insertContentType(sql, c);
      return done(view(c));
    },
    async replaceContentType(input) {
      const c = content(input);
      if (!(await replaceContentType(sql, c))) throw new FhirkeepError('not-found', `There is no content type ${c.name}`);
      return done(view(c));
    },
    async deleteContentType(name) {
      if (!CONTENT_NAME.test(name) || !(await deleteContentType(sql, name))) throw new FhirkeepError('not-found', `There is no content type ${name}`);
      await done(undefined);
    },
    async addGroup(input) {
      const system = checkName('system', input.system, GROUP_NAME);
      const name = checkName('name', input.name, GROUP_NAME);
      const label = checkLabel(input.label);
      if (input.parent !== undefined && !taxonomy.hasGroup(system, input.parent)) throw bad('parent', `there is no group ${JSON.stringify(input.parent)} in group system ${system}`);
      const contents = [...new Set(input.contents.map((c, i) => knownContent(`contents[${i}]`, c)))];
      if (taxonomy.hasGroup(system, name)) throw new FhirkeepError('duplicate', `name: there is a group ${name} in group system ${system} already`);
      await insertGroup(sql, { system, name, parent: input.parent, label, contents });
      await done(undefined);
    },
    async deleteGroup(system, name) {
      if (!GROUP_NAME.test(system) || !GROUP_NAME.test(name) || !(await deleteGroup(sql, system, name))) throw new FhirkeepError('not-found', `There is no group ${name} in group system ${system}`);
      await done(undefined);
    },
    async addMembers(system, group, contents) {
      knownGroup(system, group);
      if (contents.length === 0) throw bad('contents', 'name at least one content type');
      const checked = [...new Set(contents.map((c, i) => knownContent(`contents[${i}]`, c)))];
      if (!(await addGroupMembers(sql, system, group, checked))) throw new FhirkeepError('not-found', `There is no group ${group} in group system ${system}`);
      await done(undefined);
    },
    async removeMember(system, group, content) {
      // Names that cannot exist are not looked up (a NUL would not even reach PostgreSQL).
      const valid = GROUP_NAME.test(system) && GROUP_NAME.test(group) && CONTENT_NAME.test(content);
      if (!valid || !(await removeGroupMember(sql, system, group, content))) throw new FhirkeepError('not-found', `Content type ${content} is not in group ${group} of group system ${system}`);
      await done(undefined);
    },
  };
}

function bad(field: string, message: string): FhirkeepError {
  return new FhirkeepError('bad-request', `${field}: ${message}`);
}

export function checkName(field: string, value: string, pattern: RegExp): string {
  if (value.length > MAX_NAME || !pattern.test(value)) {
    throw bad(field, `${JSON.stringify(value.slice(0, MAX_NAME))} is not a valid name (letters, digits, '.', '_', '-'${pattern === CONTENT_NAME ? ", segments joined by '/'" : ''}; at most ${MAX_NAME} characters)`);
  }
  return value;
}

export function checkLabel(value: string): string {
  const label = value.trim();
  if (label === '' || label.length > MAX_LABEL || label.includes('\0')) throw bad('label', `give a label of 1 to ${MAX_LABEL} characters`);
  return label;
}

/** `system|code` splits at the first bar, as FHIR token search does; both parts are required. */
function parseCoding(field: string, input: CodingInput): CodeRow {
  let coding: CodeRow;
  if (typeof input === 'string') {
    const bar = input.indexOf('|');
    if (bar < 0) throw bad(field, `${JSON.stringify(input.slice(0, 100))} is not system|code`);
    coding = { system: input.slice(0, bar), code: input.slice(bar + 1) };
  } else {
    coding = input;
  }
  const fine = (s: string, max: number) => s !== '' && s.length <= max && s.trim() === s && !s.includes('\0');
  if (!fine(coding.system, MAX_SYSTEM)) throw bad(field, `the code system must be 1 to ${MAX_SYSTEM} characters without surrounding spaces`);
  if (!fine(coding.code, MAX_CODE)) throw bad(field, `the code must be 1 to ${MAX_CODE} characters without surrounding spaces`);
  if (coding.display !== undefined && (coding.display.length > MAX_LABEL || coding.display.includes('\0'))) throw bad(field, `the display must be at most ${MAX_LABEL} characters`);
  return { system: coding.system, code: coding.code, display: coding.display };
}

function uniqueCodes(codes: readonly CodeRow[]): CodeRow[] {
  const seen = new Set<string>();
  return codes.filter((c) => !seen.has(`${c.system}|${c.code}`) && seen.add(`${c.system}|${c.code}`) !== undefined);
}
