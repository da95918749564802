import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../meta/object-meta.js';
import { and, annotationsChanged, generationChanged, labelsChanged, not, or, passes, predicateFunc, resourceVersionChanged, type Predicate } from './predicates.js';

const obj = (metadata: KubeObject['metadata']): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', ...metadata } });
const base = obj({ resourceVersion: '1', generation: 1, labels: { app: 'web' }, annotations: { note: 'a' } });
const update = (p: Predicate, newObj: KubeObject, oldObj: KubeObject = base): boolean => passes([p], { type: 'update', oldObj, newObj });
const createAndDelete = (p: Predicate, o: KubeObject = base): [boolean, boolean] => [passes([p], { type: 'create', obj: o }), passes([p], { type: 'delete', obj: o })];

describe('predicates', () => {
  it('generationChanged passes updates that change metadata.generation only', () => {
    expect(update(generationChanged, { ...base, metadata: { ...base.metadata, generation: 2, resourceVersion: '2' } })).toBe(true);
    expect(update(generationChanged, { ...base, metadata: { ...base.metadata, resourceVersion: '2', labels: { app: 'db' } } })).toBe(false);
    expect(createAndDelete(generationChanged)).toEqual([true, true]);
  });

  it('labelsChanged passes updates that change the labels, treating none as empty', () => {
    expect(update(labelsChanged, obj({ ...base.metadata, labels: { app: 'db' } }))).toBe(true);
    expect(update(labelsChanged, obj({ ...base.metadata, labels: { app: 'web', tier: 'front' } }))).toBe(true);
    expect(update(labelsChanged, obj({ ...base.metadata, labels: {} }))).toBe(true);
    // Same labels in another order, or other fields changed: no.
    const reordered = obj({ name: 'x', labels: { b: '2', a: '1' } });
    expect(update(labelsChanged, reordered, obj({ name: 'x', labels: { a: '1', b: '2' } }))).toBe(false);
    expect(update(labelsChanged, obj({ ...base.metadata, generation: 5, annotations: { note: 'b' } }))).toBe(false);
    expect(update(labelsChanged, obj({ name: 'x', labels: {} }), obj({ name: 'x' }))).toBe(false);
    expect(createAndDelete(labelsChanged)).toEqual([true, true]);
  });

  it('annotationsChanged passes updates that change the annotations', () => {
    expect(update(annotationsChanged, obj({ ...base.metadata, annotations: { note: 'b' } }))).toBe(true);
    expect(update(annotationsChanged, obj({ ...base.metadata, annotations: undefined }))).toBe(true);
    expect(update(annotationsChanged, obj({ ...base.metadata, labels: { app: 'db' } }))).toBe(false);
    expect(update(annotationsChanged, obj({ name: 'x' }), obj({ name: 'x', annotations: {} }))).toBe(false);
  });

  it('resourceVersionChanged drops resyncs (the same object twice)', () => {
    expect(update(resourceVersionChanged, base, base)).toBe(false);
    expect(update(resourceVersionChanged, obj({ ...base.metadata, resourceVersion: '2' }))).toBe(true);
  });

  it('predicateFunc tests the object of every event, the new one on update', () => {
    const inDefault = predicateFunc<KubeObject>((o) => o.metadata.namespace === 'default');
    expect(createAndDelete(inDefault, obj({ namespace: 'default' }))).toEqual([true, true]);
    expect(createAndDelete(inDefault, obj({ namespace: 'other' }))).toEqual([false, false]);
    expect(update(inDefault, obj({ namespace: 'default' }), obj({ namespace: 'other' }))).toBe(true);
    expect(update(inDefault, obj({ namespace: 'other' }), obj({ namespace: 'default' }))).toBe(false);
  });

  it('and, or and not combine predicates; a missing method lets the event through', () => {
    const relabelled = obj({ ...base.metadata, resourceVersion: '2', labels: { app: 'db' } });
    const respecced = obj({ ...base.metadata, resourceVersion: '2', generation: 2 });
    expect(update(and(generationChanged, labelsChanged), relabelled)).toBe(false);
    expect(update(or(generationChanged, labelsChanged), relabelled)).toBe(true);
    expect(update(or(generationChanged, labelsChanged), respecced)).toBe(true);
    expect(update(or(generationChanged, labelsChanged), obj({ ...base.metadata, resourceVersion: '2' }))).toBe(false);
    expect(update(not(generationChanged), relabelled)).toBe(true);
    expect(update(not(generationChanged), respecced)).toBe(false);
    // generationChanged has no create method: it passes creates, so not() drops them.
    expect(createAndDelete(not(generationChanged))).toEqual([false, false]);
    expect(createAndDelete(and())).toEqual([true, true]);
    expect(createAndDelete(or())).toEqual([false, false]);
    expect(passes([], { type: 'update', oldObj: base, newObj: base })).toBe(true);
    expect(passes([generationChanged, { update: () => true }], { type: 'update', oldObj: base, newObj: base })).toBe(false);
  });
});
