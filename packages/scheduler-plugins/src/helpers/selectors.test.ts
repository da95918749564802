import { describe, expect, it } from 'vitest';
import { parseLabelSelector, requirement } from '@harbormaster/core';
import { allOf, withRequirements } from './selectors.js';

describe('combined selectors', () => {
  it('match what every part matches, and print canonically (so counts can be remembered by the string)', () => {
    const a = allOf([parseLabelSelector('app=web'), parseLabelSelector('tier=front')]);
    const b = allOf([parseLabelSelector('app=db'), parseLabelSelector('tier=front')]);
    expect(a.matches({ app: 'web', tier: 'front' })).toBe(true);
    expect(a.matches({ app: 'web' })).toBe(false);
    expect(a.toString()).toBe('app=web,tier=front');
    expect(b.toString()).not.toBe(a.toString());
    const w = withRequirements(parseLabelSelector('app=web'), [requirement('pod-template-hash', 'In', ['abc'])]);
    expect(w.toString()).toBe('app=web,pod-template-hash in (abc)');
    expect(w.matches({ app: 'web', 'pod-template-hash': 'abc' })).toBe(true);
    expect(w.matches({ app: 'web', 'pod-template-hash': 'xyz' })).toBe(false);
    expect(allOf([]).empty).toBe(true);
  });
});
