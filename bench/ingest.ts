import { percentile, type RunResult } from './load.js';

/**
 * Transaction ingest as a loader does it: whole bundles POSTed to the FHIR base, `parallel` at
 * a time. Ops are resources (so res/s), latency is per bundle.
 */
export async function runIngest(fhirBase: string, bundles: readonly { text: string; resources: number }[], parallel: number): Promise<RunResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let ok = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < bundles.length; i = next++) {
      const bundle = bundles[i] as { text: string; resources: number };
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
