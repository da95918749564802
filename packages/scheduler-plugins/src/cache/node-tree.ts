/**
 * The nodes in the order the scheduler examines them (kube-scheduler's `nodeTree`): grouped by
 * zone (the `topology.kubernetes.io/region` and `zone` labels), and listed round-robin across
 * zones, so that when only some nodes are examined (percentageOfNodesToScore) they come from every
 * zone.
 *
 * @module
 */
import type { kinds } from '@harbormaster/core';

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';
const LEGACY_REGION = 'failure-domain.beta.kubernetes.io/region';
const LEGACY_ZONE = 'failure-domain.beta.kubernetes.io/zone';

/** The zone key of a node: `region:\0:zone`, or `''` without zone labels. */
export function zoneKey(node: kinds.Node): string {
  const l = node.metadata.labels;
  if (l === undefined) return '';
  const region = l[REGION] ?? l[LEGACY_REGION] ?? '';
  const zone = l[ZONE] ?? l[LEGACY_ZONE] ?? '';
  if (region === '' && zone === '') return '';
  return `${region}:\u0000:${zone}`;
}

/** Node names by zone, listed round-robin across zones. */
export class NodeTree {
  readonly #zones = new Map<string, string[]>();
  readonly #zoneOf = new Map<string, string>();

  get size(): number {
    return this.#zoneOf.size;
  }

  add(node: kinds.Node): void {
    const name = node.metadata.name ?? '';
    const zone = zoneKey(node);
    const current = this.#zoneOf.get(name);
    if (current === zone) return;
    if (current !== undefined) this.remove(name);
    let list = this.#zones.get(zone);
    if (list === undefined) this.#zones.set(zone, (list = []));
    list.push(name);
    this.#zoneOf.set(name, zone);
  }

  remove(name: string): void {
    const zone = this.#zoneOf.get(name);
    if (zone === undefined) return;
    this.#zoneOf.delete(name);
    const list = this.#zones.get(zone);
    if (list === undefined) return;
    const i = list.indexOf(name);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#zones.delete(zone);
  }

  /** Every node name, one from each zone in turn. */
  list(): string[] {
    const zones = [...this.#zones.values()];
    if (zones.length === 1) return [...(zones[0] as string[])];
    const out: string[] = [];
    for (let i = 0; out.length < this.#zoneOf.size; i++) {
      for (const z of zones) {
        const n = z[i];
        if (n !== undefined) out.push(n);
      }
    }
    return out;
  }
}
