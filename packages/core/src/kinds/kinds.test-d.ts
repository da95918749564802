/**
 * Type tests of the built-in kinds, checked by `tsc`: each kind name is both a value and the
 * object type, defaulted fields are required after parsing and optional on input.
 */
import { expectTypeOf } from 'vitest';
import type { InputOf, KindDefinition, TypeOf } from './kind.js';
import * as kinds from './index.js';

// A kind is a KindDefinition and its name is also its object type.
expectTypeOf(kinds.Deployment).toExtend<KindDefinition<kinds.Deployment, unknown>>();
expectTypeOf<TypeOf<typeof kinds.Pod>>().toEqualTypeOf<kinds.Pod>();

// Defaulted fields are set after parsing…
expectTypeOf<kinds.Deployment['spec']['replicas']>().toEqualTypeOf<number>();
expectTypeOf<kinds.Deployment['spec']['revisionHistoryLimit']>().toEqualTypeOf<number>();
expectTypeOf<kinds.Deployment['spec']['strategy']['type']>().toEqualTypeOf<'Recreate' | 'RollingUpdate'>();
expectTypeOf<kinds.PodSpec['restartPolicy']>().toEqualTypeOf<'Always' | 'OnFailure' | 'Never'>();
expectTypeOf<kinds.PodSpec['terminationGracePeriodSeconds']>().toEqualTypeOf<number>();
expectTypeOf<kinds.Pod['spec']['enableServiceLinks']>().toEqualTypeOf<boolean>();
expectTypeOf<kinds.Container['terminationMessagePath']>().toEqualTypeOf<string>();
expectTypeOf<kinds.ContainerPort['protocol']>().toEqualTypeOf<'TCP' | 'UDP' | 'SCTP'>();
expectTypeOf<kinds.Probe['periodSeconds']>().toEqualTypeOf<number>();
expectTypeOf<kinds.HorizontalPodAutoscaler['spec']['minReplicas']>().toEqualTypeOf<number>();
expectTypeOf<kinds.HorizontalPodAutoscaler['spec']['metrics']>().toEqualTypeOf<kinds.MetricSpec[]>();
expectTypeOf<kinds.Namespace['status']['phase']>().toEqualTypeOf<'Active' | 'Terminating'>();
expectTypeOf<kinds.ReplicaSetStatus['replicas']>().toEqualTypeOf<number>();

// …and optional when creating.
type DeploymentInput = InputOf<typeof kinds.Deployment>;
expectTypeOf<{
  metadata: { name: string };
  spec: { selector: { matchLabels: { app: string } }; template: { spec: { containers: { name: string; image: string }[] } } };
}>().toExtend<DeploymentInput>();

// Quantities and int-or-strings keep both forms.
expectTypeOf<kinds.ResourceList[string]>().toEqualTypeOf<string | number>();
expectTypeOf<kinds.ServicePort['targetPort']>().toEqualTypeOf<number | string | undefined>();

// Sub-types compose.
expectTypeOf<kinds.Deployment['spec']['template']>().toEqualTypeOf<kinds.PodTemplateSpec>();
expectTypeOf<NonNullable<kinds.Pod['status']>['conditions']>().toEqualTypeOf<kinds.PodCondition[] | undefined>();
expectTypeOf<NonNullable<kinds.PodSpec['affinity']>>().toEqualTypeOf<kinds.Affinity>();
expectTypeOf<NonNullable<kinds.PodSpec['tolerations']>[number]>().toEqualTypeOf<kinds.Toleration>();
expectTypeOf<NonNullable<kinds.JSONSchemaProps['properties']>[string]>().toEqualTypeOf<kinds.JSONSchemaProps>();
