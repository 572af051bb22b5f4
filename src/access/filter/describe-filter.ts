import type { Taxonomy } from '../content/taxonomy.js';
import type { AccessFilter, FilterBlock } from './access-filter.js';

/**
 * The filter in words for the consent page (issue 5: users confirm what an app may see), one line
 * per block, e.g. "Body weight and Blood pressure records you own, created after 1 Jan 2024", and
 * for a block with `public: also` a second line "Also public Body weight … records". Plain text:
 * escaping is the page's job. Clients are named by id (the page may put names on them).
 */
export function describeAccessFilter(filter: AccessFilter, taxonomy: Taxonomy): string[] {
  return filter.blocks.flatMap((block) => {
    const what = recordsOf(block, taxonomy);
    const conditions = conditionsOf(block);
    // The public pool belongs to nobody in particular, so `owner` says nothing about it.
    const publicData = (prefix: string) => sentence([`${prefix} ${lower(what)}`, ...conditions]);
    if (block.public === 'only') return [publicData('Public')];
    const own = sentence([`${what} ${block.owner === 'self' ? 'you own' : 'you own or that are shared with you'}`, ...conditions]);
    return block.public === 'also' ? [own, publicData('Also public')] : [own];
  });
}

/** "Body weight and Blood pressure records", "Observation and Patient records", "All records". */
function recordsOf(block: FilterBlock, taxonomy: Taxonomy): string {
  const named = block.contents?.map((c) => taxonomy.content(c)?.label ?? c) ?? block.formats ?? [];
  return named.length === 0 ? 'All records' : `${list(named)} records`;
}

function conditionsOf(block: FilterBlock): string[] {
  // "this app" first, whatever the other ids sort as.
  const apps = block.apps === undefined ? undefined : [...(block.apps.includes('self') ? ['this app'] : []), ...block.apps.filter((a) => a !== 'self').map((a) => `app ${a}`)];
  return [
    ...(block.codes === undefined ? [] : [`coded ${list(block.codes.map((c) => c.replace('|', ' ')), 'or')}`]),
    ...(apps === undefined ? [] : [`written by ${list(apps, 'or')}`]),
    ...window('created', block.createdAfter, block.createdBefore),
    ...window('updated', block.updatedAfter, block.updatedBefore),
    ...(block.tags === undefined ? [] : [`labelled ${list(block.tags.map(label))}`]),
    ...(block.allowTags === undefined ? [] : [`it may label what it writes ${list(block.allowTags.map(label), 'or')}`]),
    ...(block.addTags === undefined ? [] : [`what it creates is labelled ${list(block.addTags.map(label))}`]),
  ];
}

function window(what: string, after: Date | undefined, before: Date | undefined): string[] {
  if (after !== undefined && before !== undefined) return [`${what} between ${day(after)} and ${day(before)}`];
  if (after !== undefined) return [`${what} after ${day(after)}`];
  if (before !== undefined) return [`${what} before ${day(before)}`];
  return [];
}

/** "1 Jan 2024", with the time (UTC) only when it is not midnight. */
function day(date: Date): string {
  const d = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const midnight = date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0 && date.getUTCMilliseconds() === 0;
  return midnight ? d : `${d}, ${date.toISOString().slice(11, 16)} UTC`;
}

function label(coding: string): string {
  return `"${coding.slice(coding.indexOf('|') + 1)}" (${coding.slice(0, coding.indexOf('|'))})`;
}

function sentence(parts: readonly string[]): string {
  return parts.join(', ');
}

function lower(what: string): string {
  return what === 'All records' ? 'records' : what;
}

function list(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1) ?? ''}`;
}
