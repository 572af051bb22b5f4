import { isIP } from 'node:net';

/** proxy-addr's names for reserved ranges (what Fastify's trustProxy passes it). */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Why a FHIRKEEP_TRUST_PROXY value is unusable, or undefined: a hop count, or a comma-separated
 * list of addresses, CIDR ranges and named ranges. `true` (trust every hop) is refused on purpose:
 * anyone could then choose the address they are counted as by sending X-Forwarded-For.
 */
export function trustProxyProblem(value: string): string | undefined {
  if (/^\d+$/.test(value)) return Number(value) >= 1 && Number(value) <= 10 ? undefined : 'a hop count must be 1 to 10';
  const bad = value.split(',').map((p) => p.trim()).filter((p) => !NAMED_RANGES.has(p) && !isAddressRange(p));
  return bad.length === 0 ? undefined : `not an address, CIDR range, loopback, linklocal or uniquelocal: ${bad.join(', ')}`;
}

function isAddressRange(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
