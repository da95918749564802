/**
 * Predicates filter the events that reach a controller's queue, as controller-runtime's
 * `predicate` package does. A predicate has one optional method per event; a missing method lets
 * that event through.
 *
 * @example
 * ```ts
 * controller(manager).for(kinds.Deployment, { predicates: [generationChanged] }) // ignore status-only updates
 * ```
 *
 * @module
 */
import type { KubeObject } from '../meta/object-meta.js';
import { jsonEqual } from '../util/json.js';

/** Decides which events of a source are enqueued. */
export interface Predicate<T extends KubeObject = KubeObject> {
  /** Whether to enqueue the creation of `obj` (also an object first seen by the informer). */
  create?(obj: T): boolean;
  /** Whether to enqueue the change from `oldObj` to `newObj`. */
  update?(oldObj: T, newObj: T): boolean;
  /** Whether to enqueue the deletion of `obj` (its last known state). */
  delete?(obj: T): boolean;
}

/** Whether all predicates let an event through. */
export function passes<T extends KubeObject>(
  predicates: readonly Predicate<T>[],
  event: { type: 'create'; obj: T } | { type: 'update'; oldObj: T; newObj: T } | { type: 'delete'; obj: T },
): boolean {
  for (const p of predicates) {
    switch (event.type) {
      case 'create':
        if (p.create && !p.create(event.obj)) return false;
        break;
      case 'update':
        if (p.update && !p.update(event.oldObj, event.newObj)) return false;
        break;
      case 'delete':
        if (p.delete && !p.delete(event.obj)) return false;
        break;
    }
  }
  return true;
}

/** Updates only when `metadata.generation` changed (spec changes; not status or metadata). */
export const generationChanged: Predicate = {
  update: (o, n) => o.metadata.generation !== n.metadata.generation,
};

/** Updates only when the labels changed. */
export const labelsChanged: Predicate = {
  update: (o, n) => !jsonEqual(o.metadata.labels ?? {}, n.metadata.labels ?? {}),
};

/** Updates only when the annotations changed. */
export const annotationsChanged: Predicate = {
  update: (o, n) => !jsonEqual(o.metadata.annotations ?? {}, n.metadata.annotations ?? {}),
};

/** Updates only when the resourceVersion changed (drops periodic resyncs). */
export const resourceVersionChanged: Predicate = {
  update: (o, n) => o.metadata.resourceVersion !== n.metadata.resourceVersion,
};

/** A predicate applying one test to the object of every event (the new object on update). */
export function predicateFunc<T extends KubeObject>(test: (obj: T) => boolean): Predicate<T> {
  return { create: test, update: (_o, n) => test(n), delete: test };
}

/** Let an event through when every predicate does. */
export function and<T extends KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return {
    create: (o) => passes(predicates, { type: 'create', obj: o }),
    update: (o, n) => passes(predicates, { type: 'update', oldObj: o, newObj: n }),
    delete: (o) => passes(predicates, { type: 'delete', obj: o }),
  };
}

/** Let an event through when any predicate does. */
export function or<T extends KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return {
    create: (o) => predicates.some((p) => passes([p], { type: 'create', obj: o })),
    update: (o, n) => predicates.some((p) => passes([p], { type: 'update', oldObj: o, newObj: n })),
    delete: (o) => predicates.some((p) => passes([p], { type: 'delete', obj: o })),
  };
}

/** Let an event through when the predicate does not. */
export function not<T extends KubeObject>(predicate: Predicate<T>): Predicate<T> {
  return {
    create: (o) => !passes([predicate], { type: 'create', obj: o }),
    update: (o, n) => !passes([predicate], { type: 'update', oldObj: o, newObj: n }),
    delete: (o) => !passes([predicate], { type: 'delete', obj: o }),
  };
}
