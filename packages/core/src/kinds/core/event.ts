import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { validatePathSegmentName, validateQualifiedName } from '../../meta/validation.js';
import { objectReferenceSchema, timeSchema } from '../common.js';
import { invalid, invalidEach, required } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/** The component that reported an Event (`v1.EventSource`). */
export const eventSourceSchema = z.strictObject({
  component: z.string().optional(),
  host: z.string().optional(),
});
/** The component that reported an Event. */
export type EventSource = z.infer<typeof eventSourceSchema>;

/** A series of repeated occurrences of an Event (`v1.EventSeries`). */
export const eventSeriesSchema = z.strictObject({
  count: z.int32().optional(),
  lastObservedTime: timeSchema.optional(),
});
/** A series of repeated occurrences of an Event. */
export type EventSeries = z.infer<typeof eventSeriesSchema>;

/**
 * v1 Event: a report that something happened to an object (`involvedObject`), e.g. a Pod was
 * scheduled or a container crashed. Informative and best-effort. The involved object's namespace
 * must match the Event's.
 */
export const Event = defineKind({
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('Event'),
    metadata: objectMetaSchema,
    involvedObject: objectReferenceSchema,
    /** A short CamelCase reason, e.g. `Scheduled`, `BackOff`. */
    reason: z.string().optional(),
    message: z.string().optional(),
    source: eventSourceSchema.optional(),
    firstTimestamp: timeSchema.optional(),
    lastTimestamp: timeSchema.optional(),
    count: z.int32().optional(),
    /** `Normal` or `Warning`. */
    type: z.string().optional(),
    eventTime: timeSchema.optional(),
    series: eventSeriesSchema.optional(),
    action: z.string().optional(),
    related: objectReferenceSchema.optional(),
    /** The controller that emitted the Event, e.g. `kubernetes.io/kubelet`. */
    reportingComponent: z.string().optional(),
    reportingInstance: z.string().optional(),
  }),
  strategy: {
    validate(ev) {
      const causes: FieldCause[] = [];
      const ns = ev.metadata.namespace;
      const involvedNs = ev.involvedObject.namespace ?? '';
      if (ns !== undefined) {
        if (!ev.eventTime) {
          const ok = involvedNs === '' ? ns === '' || ns === 'default' : ns === involvedNs;
          if (!ok) causes.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
        } else if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') {
          causes.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
        }
      }
      if (ev.eventTime) {
        const controller = ev.reportingComponent ?? '';
        if (controller === '') causes.push(required('reportingComponent'));
        else causes.push(...invalidEach('reportingComponent', controller, validateQualifiedName(controller)));
        if (!ev.reportingInstance) causes.push(required('reportingInstance'));
      }
      return causes;
    },
    validateName: validatePathSegmentName,
    selectableFields: {
      'involvedObject.kind': (ev) => ev.involvedObject.kind ?? '',
      'involvedObject.namespace': (ev) => ev.involvedObject.namespace ?? '',
      'involvedObject.name': (ev) => ev.involvedObject.name ?? '',
      'involvedObject.uid': (ev) => ev.involvedObject.uid ?? '',
      'involvedObject.apiVersion': (ev) => ev.involvedObject.apiVersion ?? '',
      'involvedObject.resourceVersion': (ev) => ev.involvedObject.resourceVersion ?? '',
      'involvedObject.fieldPath': (ev) => ev.involvedObject.fieldPath ?? '',
      reason: (ev) => ev.reason ?? '',
      reportingComponent: (ev) => ev.reportingComponent ?? '',
      source: (ev) => ev.source?.component ?? '',
      type: (ev) => ev.type ?? '',
    },
  },
});
/** v1 Event. */
export type Event = TypeOf<typeof Event>;
