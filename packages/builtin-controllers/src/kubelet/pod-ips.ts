/**
 * Pod IPs on one machine: every pod gets its own loopback address, from a /16 of 127.0.0.0/8
 * chosen per node, so servers in different pods can listen on the same port, as they would on
 * their own pod IPs in Kubernetes.
 *
 * @module
 * @internal
 */

/** Hands out addresses `127.<subnet>.x.y`, never `.0` or `.255` in the last octet. */
export class PodIpAllocator {
  readonly #prefix: string;
  readonly #used = new Set<string>();
  #next = 1;

  /** @param subnet the second octet, 1–254 */
  constructor(subnet: number) {
    if (!Number.isInteger(subnet) || subnet < 1 || subnet > 254) throw new RangeError(`pod subnet must be 1–254, got ${subnet}`);
    this.#prefix = `127.${subnet}.`;
  }

  /** Whether `ip` belongs to this allocator's range. */
  owns(ip: string): boolean {
    return ip.startsWith(this.#prefix);
  }

  /** Mark an address as taken (a pod adopted after a restart). */
  reserve(ip: string): void {
    if (this.owns(ip)) this.#used.add(ip);
  }

  /**
   * The next free address.
   * @throws Error when all 65,000 addresses are taken.
   */
  allocate(): string {
    for (let tries = 0; tries < 256 * 254; tries++) {
      const n = this.#next;
      this.#next = this.#next >= 256 * 254 ? 1 : this.#next + 1;
      const ip = `${this.#prefix}${Math.floor(n / 254)}.${(n % 254) + 1}`;
      if (!this.#used.has(ip)) {
        this.#used.add(ip);
        return ip;
      }
    }
    throw new Error(`no free pod IP in ${this.#prefix}0.0/16`);
  }

  /** Give an address back. */
  release(ip: string): void {
    this.#used.delete(ip);
  }
}

/** A stable subnet (1–254) for a node name, when none is configured. */
export function subnetFor(nodeName: string): number {
  let h = 0;
  for (let i = 0; i < nodeName.length; i++) h = (h * 31 + nodeName.charCodeAt(i)) >>> 0;
  return (h % 254) + 1;
}
