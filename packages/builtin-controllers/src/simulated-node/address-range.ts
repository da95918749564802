/**
 * IPv4 address ranges for simulated nodes: a node's pod CIDR hands out pod IPs, as a CNI's
 * host-local IPAM would (the network and broadcast addresses and the first host address, the
 * node's gateway, are never handed out).
 *
 * @module
 */

function toNumber(ip: string): number {
  const parts = ip.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Pod IPs from one CIDR, e.g. `10.244.3.0/24`. */
export class AddressRange {
  readonly cidr: string;
  readonly #base: number;
  readonly #size: number;
  readonly #used = new Set<number>();
  #cursor = 2;

  /** @throws Error for a malformed CIDR or one too small to hold pods (smaller than /30). */
  constructor(cidr: string) {
    const [ip, bits] = cidr.split('/');
    const prefix = Number(bits);
    if (ip === undefined || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw new Error(`not an IPv4 CIDR with a /8 to /30 prefix: ${cidr}`);
    const size = 2 ** (32 - prefix);
    this.#base = toNumber(ip) - (toNumber(ip) % size);
    this.#size = size;
    this.cidr = `${toIp(this.#base)}/${prefix}`;
  }

  /** How many pod IPs the range holds. */
  get capacity(): number {
    return this.#size - 3;
  }

  /** Take a free address, or `undefined` if the range is exhausted. */
  allocate(): string | undefined {
    if (this.#used.size >= this.capacity) return undefined;
    for (;;) {
      const offset = this.#cursor;
      this.#cursor = this.#cursor + 1 >= this.#size - 1 ? 2 : this.#cursor + 1;
      if (!this.#used.has(offset)) {
        this.#used.add(offset);
        return toIp(this.#base + offset);
      }
    }
  }

  /** Mark an address taken (a pod that had it before the node restarted). Returns false if it is outside the range or taken. */
  reserve(ip: string): boolean {
    let offset: number;
    try {
      offset = toNumber(ip) - this.#base;
    } catch {
      return false;
    }
    if (offset < 2 || offset >= this.#size - 1 || this.#used.has(offset)) return false;
    this.#used.add(offset);
    return true;
  }

  /** Give an address back. */
  release(ip: string): void {
    try {
      this.#used.delete(toNumber(ip) - this.#base);
    } catch {
      // Not ours.
    }
  }
}

/**
 * The default addresses of the `index`-th simulated node: pod CIDR `10.<244 + index / 256>.<index % 256>.0/24`
 * (room for 2816 nodes) and node IP `172.<16 + index / 65536>.<…>.<…>` counted from 172.16.0.2.
 */
export function defaultNodeAddresses(index: number): { podCIDR: string; internalIP: string } {
  if (!Number.isInteger(index) || index < 0 || index >= 2816) throw new Error(`no default addresses for node index ${index}: give podCIDR and internalIP`);
  const podCIDR = `10.${244 + Math.floor(index / 256)}.${index % 256}.0/24`;
  const host = index + 2;
  const internalIP = `172.${16 + Math.floor(host / 65536)}.${Math.floor(host / 256) % 256}.${host % 256}`;
  return { podCIDR, internalIP };
}
