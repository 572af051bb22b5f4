import { percentile, type RunResult } from './load.js';

export interface IngestBundle {
  readonly text: string;
  readonly resources: number;
}

/**
 * Transaction ingest as a loader does it: whole bundles POSTed to the FHIR base, `parallel` at
 * a time. Ops are resources (so res/s), latency is per bundle. The bundles are pulled one at a
 * time as workers free up, so a generator keeps only those in flight in memory; `onCommitted`
 * gets each successful bundle with the transaction-response text.
 */
export async function runIngest<B extends IngestBundle>(
  fhirBase: string,
  bundles: Iterable<B>,
  parallel: number,
  onCommitted?: (bundle: B, response: string) => void,
): Promise<RunResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0;
  const source = bundles[Symbol.iterator]();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let item = source.next(); item.done !== true; item = source.next()) {
      const bundle = item.value;
      const t = performance.now();
      const res = await fetch(fhirBase, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
        body: bundle.text,
      });
      const body = await res.text();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status === 200) {
        ok += bundle.resources;
        latencies.push(performance.now() - t);
        onCommitted?.(bundle, body);
      } else if (errorSamples.length < 3) {
        errorSamples.push(`${res.status} ${body.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    ok,
    errors: Object.entries(statuses).reduce((n, [s, c]) => (s === '200' ? n : n + c), 0),
    statuses,
    errorSamples,
    seconds,
    opsPerSec: ok / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
}
