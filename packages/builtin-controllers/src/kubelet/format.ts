/**
 * How the kubelet writes things in its messages, so that ours read the same: a pod as
 * `name_namespace(uid)` (its `format.Pod`), and a duration as Go's `time.Duration` prints it
 * (`10s`, `1m20s`, `5m0s`, `717ms`).
 *
 * @module
 * @internal
 */
import type { kinds } from '@harbormaster/core';

/** A pod as the kubelet names it in messages (`format.Pod`): `web-abc_default(0c1d…)`. */
export function formatPod(pod: kinds.Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

/**
 * A duration in milliseconds as Go's `time.Duration.String()` writes it: `0s`, `1.5ms`, `717ms`,
 * `1.234s`, `10s`, `1m20s`, `5m0s`, `1h0m0s`. Precision is kept to the nanosecond.
 */
export function formatDuration(ms: number): string {
  let ns = Math.round(Math.abs(ms) * 1e6);
  const sign = ms < 0 && ns > 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    // Below a second: the largest unit that keeps an integer part, with a trimmed fraction.
    if (ns < 1e3) return `${sign}${ns}ns`;
    if (ns < 1e6) return `${sign}${fraction(ns, 3)}µs`;
    return `${sign}${fraction(ns, 6)}ms`;
  }
  const hours = Math.floor(ns / 3.6e12);
  ns -= hours * 3.6e12;
  const minutes = Math.floor(ns / 6e10);
  ns -= minutes * 6e10;
  const seconds = `${fraction(ns, 9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare point) dropped. */
function fraction(value: number, digits: number): string {
  const unit = 10 ** digits;
  const whole = Math.floor(value / unit);
  const rest = value - whole * unit;
  if (rest === 0) return String(whole);
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
