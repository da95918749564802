/**
 * The `pod-template-hash`: the label that tells the ReplicaSets of one Deployment apart and keeps
 * their selectors from overlapping. Like Kubernetes' `controller.ComputeHash`, it is the FNV-1a
 * 32-bit hash of the pod template, plus the Deployment's `status.collisionCount` (little-endian, 8
 * bytes) when set, written in decimal and mapped digit by digit onto Kubernetes' "safe" alphabet
 * (`rand.SafeEncodeString`: no vowels, no look-alikes), e.g. `5d8f9c7b4d`.
 *
 * Kubernetes hashes the Go structure of the template; this hashes its canonical JSON (keys
 * sorted), so the values differ from a real cluster's, but they are as stable: the same template
 * always gives the same hash.
 *
 * @module
 */
import { jsonEqual, type kinds } from '@harbormaster/core';
import { canonicalJson } from '../replicaset/canonical-json.js';

/** The label (and selector key) a Deployment adds to its ReplicaSets and their pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' `rand.SafeEncodeString`: each character mapped onto a consonant-and-digit alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET.charAt(s.charCodeAt(i) % SAFE_ALPHABET.length);
  return out;
}

function fnv1a32(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The pod-template-hash of a template.
 *
 * @example
 * ```ts
 * computeHash(deployment.spec.template, deployment.status?.collisionCount); // "5d8f9c7b4d"
 * ```
 */
export function computeHash(template: kinds.PodTemplateSpec, collisionCount?: number): string {
  const bytes = new TextEncoder().encode(canonicalJson(template));
  let hash = fnv1a32(bytes);
  if (collisionCount !== undefined) {
    const extra = new Uint8Array(8);
    new DataView(extra.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv1a32(extra, hash);
  }
  return safeEncodeString(String(hash));
}

/** The template without its pod-template-hash label (and without an empty label map). */
function withoutHash(template: kinds.PodTemplateSpec): unknown {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const metadata: Record<string, unknown> = { ...template.metadata };
  if (Object.keys(labels).length > 0) metadata['labels'] = labels;
  else delete metadata['labels'];
  return { ...template, metadata };
}

/**
 * Whether two templates are equal except for the pod-template-hash label (Kubernetes'
 * `EqualIgnoreHash`): the test of which ReplicaSet is a Deployment's new one.
 */
export function equalIgnoreHash(a: kinds.PodTemplateSpec, b: kinds.PodTemplateSpec): boolean {
  return jsonEqual(withoutHash(a), withoutHash(b));
}
