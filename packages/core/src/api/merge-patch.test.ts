import { describe, expect, it } from 'vitest';
import { applyMergePatch, threeWayMergePatch } from './merge-patch.js';

describe('applyMergePatch (RFC 7386)', () => {
  // The examples of RFC 7386, appendix A.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it('does not change its inputs', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    applyMergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('threeWayMergePatch', () => {
  it('updates changed fields, deletes fields dropped since the last apply, keeps fields others set', () => {
    const original = { spec: { replicas: 3, paused: false }, metadata: { labels: { a: '1', b: '2' } } };
    const modified = { spec: { replicas: 5 }, metadata: { labels: { a: '1' } } };
    const current = {
      spec: { replicas: 3, paused: false, strategy: { type: 'RollingUpdate' } },
      metadata: { labels: { a: '1', b: '2', c: 'set-by-someone' }, uid: 'u' },
      status: { x: 1 },
    };
    expect(threeWayMergePatch(original, modified, current)).toEqual({ spec: { replicas: 5, paused: null }, metadata: { labels: { b: null } } });
  });

  it('returns undefined when nothing changes', () => {
    const m = { spec: { replicas: 3, list: [1, 2] } };
    expect(threeWayMergePatch(m, m, { ...m, status: {} })).toBeUndefined();
  });

  it('replaces lists as a whole', () => {
    expect(threeWayMergePatch(undefined, { l: [1] }, { l: [1, 2] })).toEqual({ l: [1] });
  });
});
