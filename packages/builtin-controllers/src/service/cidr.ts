/**
 * IPv4 addresses and CIDR ranges, as the ClusterIP allocator needs them.
 *
 * @module
 */

/** An IPv4 CIDR range, e.g. `10.96.0.0/12`. */
export interface Ipv4Cidr {
  /** The range as written, normalized (`10.96.0.0/12`). */
  readonly cidr: string;
  /** The network address, as an unsigned 32-bit number. */
  readonly base: number;
  /** The number of leading bits that name the network, e.g. `12`. */
  readonly prefixLength: number;
  /** How many addresses the range spans (2^(32 − prefix)). */
  readonly size: number;
}

/** The 32-bit number of a dotted-quad IPv4 address, or `undefined` if `ip` is not one. */
export function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    // Kubernetes refuses leading zeros (they read as octal elsewhere).
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** The dotted-quad form of a 32-bit number. */
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Parse an IPv4 CIDR; the host bits are cleared (`10.96.0.1/12` is `10.96.0.0/12`).
 * @throws RangeError if it is not an IPv4 CIDR.
 */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr {
  const slash = cidr.indexOf('/');
  const ip = slash < 0 ? undefined : parseIpv4(cidr.slice(0, slash));
  const prefixText = slash < 0 ? '' : cidr.slice(slash + 1);
  const prefixLength = /^\d{1,2}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (ip === undefined || !(prefixLength >= 0 && prefixLength <= 32)) throw new RangeError(`invalid IPv4 CIDR "${cidr}"`);
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(ip / size) * size;
  return { cidr: `${formatIpv4(base)}/${prefixLength}`, base, prefixLength, size };
}

/** Whether the address `n` lies in `range`. */
export function cidrContains(range: Ipv4Cidr, n: number): boolean {
  return n >= range.base && n < range.base + range.size;
}
