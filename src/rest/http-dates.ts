/** RFC 9110 §5.6.7 IMF-fixdate, the form Last-Modified and If-Modified-Since use. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

/** The lenient HTTP-date parse RFC 9110 §5.6.7 asks recipients to do; undefined when unparseable. */
export function parseHttpDate(value: string): Date | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}
