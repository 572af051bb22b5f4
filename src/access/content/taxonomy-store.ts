import type { Logger } from 'pino';
import type { Sql } from 'postgres';
import { listenTaxonomy, loadTaxonomyRows } from '../../storage/content/taxonomy-tables.js';
import { buildTaxonomy, EMPTY_TAXONOMY_ROWS } from './taxonomy-snapshot.js';
import type { Taxonomy } from './taxonomy.js';

/** The taxonomy every node holds, kept current with the tables. */
export interface LiveTaxonomy extends Taxonomy {
  /** Reloads now (after this node's own edit, so its next answer already shows it); resolves when done. */
  reload(): Promise<void>;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Opens the taxonomy: listens for changes first, then loads, so a change between the two is in
 * the load or arrives as a notification (the revocation view's order). Every change any node
 * makes (admin edits, auto-registered codes, seeds) NOTIFYs; each notification reloads the whole
 * snapshot (a few thousand rows), coalesced so a burst costs one or two loads. Each reload
 * increases `epoch`. Members answer from the current snapshot, swapped whole.
 */
/** How long after a failed reload the snapshot is loaded again. */
const RETRY_MS = 5000;

export async function openTaxonomy(sql: Sql, logger: Logger): Promise<LiveTaxonomy> {
  let epoch = 0;
  let current = buildTaxonomy(EMPTY_TAXONOMY_ROWS, epoch);
  // One load at a time; a change during a load asks for one more load after it.
  let running: Promise<void> | undefined;
  let again = false;
  const loadOnce = async () => {
    const rows = await loadTaxonomyRows(sql);
    current = buildTaxonomy(rows, ++epoch);
  };
  const reload = (): Promise<void> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await loadOnce();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  // A failed reload (a passing database error) is tried again: the NOTIFY that asked for it will not come twice.
  let retry: NodeJS.Timeout | undefined;
  let closed = false;
  const reloadLogged = (): Promise<void> =>
    reload().catch((err: unknown) => {
      if (closed) return;
      logger.error({ err }, 'could not reload the content taxonomy; trying again shortly');
      retry ??= setTimeout(() => {
        retry = undefined;
        void reloadLogged();
      }, RETRY_MS).unref();
    });
  let first: Promise<unknown> | undefined;
  const unlisten = await listenTaxonomy(sql, () => void reloadLogged(), () => {
    first = reloadLogged();
  });
  // The first load must succeed: a node must not classify records against an empty taxonomy.
  await first;
  if (epoch === 0) {
    try {
      await reload();
    } catch (e) {
      await unlisten();
      throw e;
    }
  }
  return {
    get epoch() {
      return current.epoch;
    },
    content: (name) => current.content(name),
    contentOfCode: (coding) => current.contentOfCode(coding),
    hasGroup: (system, name) => current.hasGroup(system, name),
    groupContents: (system, name, exclude) => current.groupContents(system, name, exclude),
    codesOf: (name) => current.codesOf(name),
    search: (text, limit) => current.search(text, limit),
    contents: () => current.contents(),
    groupSystems: () => current.groupSystems(),
    groups: (system) => current.groups(system),
    // A load already running may have read the tables before the edit committed: it loads once more.
    reload,
    async close() {
      closed = true;
      clearTimeout(retry);
      await unlisten();
    },
  };
}

/** The taxonomy as it is now, once (the CLI: a short-lived process needs no notifications). */
export async function loadTaxonomy(sql: Sql): Promise<Taxonomy> {
  return buildTaxonomy(await loadTaxonomyRows(sql), 1);
}
