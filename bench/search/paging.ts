import { latencySummary, timedGet, type Latencies } from './sequential.js';

/**
 * The path and query of a searchset's `next` link, to request from the bench's own origin: the
 * server writes links with its public base URL (FHIRKEEP_BASE_URL, by default another port).
 */
export function nextLinkPath(bundleText: string): string | undefined {
  const bundle = JSON.parse(bundleText) as { link?: { relation?: string; url?: string }[] };
  const url = bundle.link?.find((l) => l.relation === 'next')?.url;
  if (url === undefined) return undefined;
  const parsed = new URL(url, 'http://relative.invalid');
  return `${parsed.pathname}${parsed.search}`;
}

export interface Walk {
  /** Latency of each page reached, page 1 first. */
  readonly ms: readonly number[];
  /** Why the walk stopped before the last page: a non-200 (status and body start), or no `next` link. */
  readonly stopped?: string;
}

/** Requests page 1 of a search, then follows `next` links one at a time up to page `pages`. */
export async function walkPages(origin: string, firstPath: string, pages: number): Promise<Walk> {
  const ms: number[] = [];
  let path: string | undefined = firstPath;
  while (ms.length < pages) {
    if (path === undefined) return { ms, stopped: `no next link after page ${ms.length}` };
    const res = await timedGet(`${origin}${path}`);
    if (res.status !== 200) return { ms, stopped: `${res.status} ${res.body.slice(0, 300)}` };
    ms.push(res.ms);
    path = nextLinkPath(res.body);
  }
  return { ms };
}

export interface PagingResult {
  /** The queries walked, one walk each in turn. */
  readonly queries: readonly string[];
  readonly walks: number;
  readonly pages: number;
  /** Latency of page 1 and of the last page, over the walks that reached it. */
  readonly firstPage: Latencies;
  readonly lastPage: Latencies;
  /** Last page ÷ page 1, of the medians. */
  readonly ratio: number;
  /** Walks that did not reach the last page, and why. */
  readonly failures: readonly string[];
}

/** `walks` walks (after one discarded warm-up walk), taking the queries in turn. */
export async function runPaging(origin: string, queries: readonly string[], walks: number, pages: number): Promise<PagingResult> {
  const query = (i: number): string => queries[i % queries.length] as string;
  await walkPages(origin, query(walks), pages);
  const done: Walk[] = [];
  for (let i = 0; i < walks; i++) done.push(await walkPages(origin, query(i), pages));
  return summarizeWalks(queries, done, pages);
}

export function summarizeWalks(queries: readonly string[], walks: readonly Walk[], pages: number): PagingResult {
  const firstPage = latencySummary(walks.flatMap((w) => w.ms.slice(0, 1)));
  const lastPage = latencySummary(walks.flatMap((w) => (w.ms.length === pages ? w.ms.slice(pages - 1) : [])));
  return {
    queries,
    walks: walks.length,
    pages,
    firstPage,
    lastPage,
    ratio: lastPage.p50 / firstPage.p50,
    failures: walks.flatMap((w) => (w.stopped === undefined ? [] : [w.stopped])),
  };
}
