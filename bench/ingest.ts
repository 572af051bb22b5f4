import type { LoadResult } from './load.js';

/**
 * Transaction ingest: POSTs whole bundles to the FHIR base, `parallel` at a time, and reports
 * resources per second (ops) with per-bundle latency percentiles.
 */
export async function ingest(fhirBase: string, bundles: readonly { text: string; resources: number }[], parallel: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let resources = 0;
  let errors = 0;
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
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      if (res.status === 200) resources += bundle.resources;
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: bundles.length, opsPerSec: resources / seconds, p50: at(0.5), p99: at(0.99), errors };
}
