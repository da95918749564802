/**
 * The scale subresource of an HPA's target, read and written through the paths its kind
 * declares (`subresources.scale`): `specReplicasPath` (`.spec.replicas`), `statusReplicasPath`
 * and `labelSelectorPath`. Works for Deployments, ReplicaSets and any custom resource whose
 * CustomResourceDefinition serves a scale subresource.
 *
 * The selector is the string at `labelSelectorPath`, as Kubernetes' `Scale.status.selector`; a
 * target that has no value there but a `spec.selector` object (Deployment, ReplicaSet) uses that,
 * as Kubernetes' scale subresource of those kinds does.
 *
 * @module
 */
import { labelSelectorFromObject, parseApiVersion, type AnyKind, type KubeObject, type ScaleSubresource } from '@harbormaster/core';

/** Finds kinds by `apiVersion` and `kind`; `KindRegistry` (e.g. `api.registry`) is one. */
export interface KindLookup {
  /** The kind served at exactly this `apiVersion` and `kind`, if any. */
  get(apiVersion: string, kind: string): AnyKind | undefined;
  /** Every kind served. */
  list(): AnyKind[];
}

/**
 * The kind a `scaleTargetRef` names. As Kubernetes' REST mapper, the group and kind decide; an
 * exact `apiVersion` match is preferred when the group serves several versions.
 */
export function resolveScaleTargetKind(lookup: KindLookup, ref: { apiVersion?: string | undefined; kind: string }): AnyKind | undefined {
  const apiVersion = ref.apiVersion ?? '';
  const exact = lookup.get(apiVersion, ref.kind);
  if (exact !== undefined) return exact;
  const { group } = parseApiVersion(apiVersion);
  return lookup.list().find((k) => k.group === group && k.kind === ref.kind);
}

function segments(path: string): string[] {
  return path.replace(/^\./, '').split('.').filter((s) => s !== '');
}

/** The value at a simple JSON path such as `.spec.replicas`, or `undefined`. */
export function valueAtPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const s of segments(path)) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** A merge patch setting the value at a simple JSON path: `.spec.replicas`, 5 → `{ spec: { replicas: 5 } }`. */
export function patchAtPath(path: string, value: unknown): Record<string, unknown> {
  const parts = segments(path);
  let out: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) out = { [parts[i] ?? '']: out };
  return out as Record<string, unknown>;
}

/** The scale of a target, as Kubernetes' `autoscaling/v1.Scale` carries it. */
export interface Scale {
  /** `spec.replicas` of the scale: the desired count. */
  readonly specReplicas: number;
  /** `status.replicas` of the scale: the observed count (0 if not reported). */
  readonly statusReplicas: number;
  /** The selector of the target's pods in string form, or `''` if it has none. */
  readonly selector: string;
}

/**
 * Read the scale of `obj` through its kind's scale subresource.
 * @throws Error if the selector object is malformed.
 */
export function readScale(scale: ScaleSubresource, obj: KubeObject): Scale {
  const spec = valueAtPath(obj, scale.specReplicasPath);
  const status = valueAtPath(obj, scale.statusReplicasPath);
  let selector = '';
  const raw = scale.labelSelectorPath === undefined ? undefined : valueAtPath(obj, scale.labelSelectorPath);
  if (typeof raw === 'string') selector = raw;
  else {
    const fallback = raw !== undefined && raw !== null && typeof raw === 'object' ? raw : valueAtPath(obj, '.spec.selector');
    if (fallback !== undefined && fallback !== null && typeof fallback === 'object' && !Array.isArray(fallback)) {
      selector = labelSelectorFromObject(fallback).toString();
    }
  }
  return {
    specReplicas: typeof spec === 'number' ? spec : 0,
    statusReplicas: typeof status === 'number' ? status : 0,
    selector,
  };
}
