import type { kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { computeHash, equalIgnoreHash, safeEncodeString } from './pod-template-hash.js';

const template = (image: string, labels: Record<string, string> = { app: 'web' }): kinds.PodTemplateSpec =>
  ({ metadata: { labels }, spec: { containers: [{ name: 'web', image }] } }) as kinds.PodTemplateSpec;

describe('pod-template-hash', () => {
  it("encodes like Kubernetes' SafeEncodeString", () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(safeEncodeString('1234567890')).toBe('56789bcdf4');
  });

  it('is stable, independent of key order, and changes with the template and the collision count', () => {
    const a = computeHash(template('web:1'));
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(template('web:1'))).toBe(a);
    const reordered = { spec: { containers: [{ image: 'web:1', name: 'web' }] }, metadata: { labels: { app: 'web' } } } as unknown as kinds.PodTemplateSpec;
    expect(computeHash(reordered)).toBe(a);
    expect(computeHash(template('web:2'))).not.toBe(a);
    expect(computeHash(template('web:1'), 1)).not.toBe(a);
    expect(computeHash(template('web:1'), 1)).not.toBe(computeHash(template('web:1'), 2));
  });

  it('compares templates ignoring the hash label', () => {
    expect(equalIgnoreHash(template('web:1'), template('web:1', { app: 'web', 'pod-template-hash': 'abc' }))).toBe(true);
    expect(equalIgnoreHash(template('web:1'), template('web:2'))).toBe(false);
    expect(equalIgnoreHash(template('web:1', { app: 'web', tier: 'x' }), template('web:1'))).toBe(false);
  });
});
