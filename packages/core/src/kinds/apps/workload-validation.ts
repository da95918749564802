/**
 * Validation shared by the workload kinds (Deployment, ReplicaSet): a non-empty selector that
 * matches the Pod template's labels, a non-negative replica count, and a template whose pods
 * always restart (`restartPolicy: Always`) and have no active deadline.
 *
 * @module
 */
import type { FieldCause } from '../../errors.js';
import type { LabelSelector } from '../common.js';
import type { PodTemplateSpec } from '../core/pod-spec.js';
import { validatePodTemplateSpec } from '../core/pod-spec-validation.js';
import {
  forbidden,
  invalid,
  isEmptySelector,
  required,
  selectorMatches,
  validateLabelSelector,
  validateNonnegative,
} from '../field-validation.js';

/** The spec fields every workload kind has. */
export interface WorkloadSpec {
  readonly replicas: number;
  readonly minReadySeconds?: number | undefined;
  readonly selector?: LabelSelector | undefined;
  readonly template: PodTemplateSpec;
}

/** Validate replicas, selector and template of a workload spec at `spec`. */
export function validateWorkloadSpec(spec: WorkloadSpec, kind: string): FieldCause[] {
  const causes: FieldCause[] = [];
  causes.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  causes.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector = spec.selector;
  if (!selector) {
    causes.push(required('spec.selector'));
  } else if (isEmptySelector(selector)) {
    causes.push(invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
  } else {
    causes.push(...validateLabelSelector(selector, 'spec.selector'));
    const labels = spec.template.metadata?.labels;
    if (!selectorMatches(selector, labels)) {
      causes.push(invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
    }
  }
  causes.push(...validatePodTemplateSpec(spec.template, 'spec.template', { allowedRestartPolicies: ['Always'] }));
  if (spec.template.spec.activeDeadlineSeconds !== undefined) {
    causes.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return causes;
}
