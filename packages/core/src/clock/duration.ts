/**
 * Durations written the way Go's `time.Duration.String()` writes them, so that messages copied
 * from Kubernetes read the same: `"500ms"`, `"1.5s"`, `"1m0s"`, `"15m0s"`, `"1h0m0s"`.
 *
 * @module
 */

const NS_PER_US = 1e3;
const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

/** The fraction `v / 10^prec` as `".123"` without trailing zeros ('' when it is 0), and `v` divided. */
function fraction(v: number, prec: number): { readonly text: string; readonly rest: number } {
  let digits = '';
  let printed = false;
  let rest = v;
  for (let i = 0; i < prec; i++) {
    const digit = rest % 10;
    printed ||= digit !== 0;
    if (printed) digits = `${digit}${digits}`;
    rest = Math.floor(rest / 10);
  }
  return { text: printed ? `.${digits}` : '', rest };
}

/**
 * `ms` milliseconds (rounded to whole nanoseconds) as Go's `Duration.String()`.
 *
 * @example
 * ```ts
 * formatDuration(60_000); // "1m0s"
 * formatDuration(1500);   // "1.5s"
 * formatDuration(500);    // "500ms"
 * formatDuration(0);      // "0s"
 * ```
 */
export function formatDuration(ms: number): string {
  const ns = Math.round(Math.abs(ms) * NS_PER_MS);
  const sign = ms < 0 && ns > 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < NS_PER_S) {
    // Below a second: the largest unit that fits, with a fraction (1.2ms, 800µs, 15ns).
    if (ns < NS_PER_US) return `${sign}${ns}ns`;
    if (ns < NS_PER_MS) {
      const f = fraction(ns, 3);
      return `${sign}${f.rest}${f.text}µs`;
    }
    const f = fraction(ns, 6);
    return `${sign}${f.rest}${f.text}ms`;
  }
  const f = fraction(ns, 9);
  const seconds = f.rest;
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  let out = `${seconds % 60}${f.text}s`;
  if (minutes > 0) {
    out = `${minutes % 60}m${out}`;
    if (hours > 0) out = `${hours}h${out}`;
  }
  return `${sign}${out}`;
}
