import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../errors.js';
import { everything, labelSelectorFromObject, nothing, parseLabelSelector, selectorFromSet } from './label-selector.js';

describe('parseLabelSelector', () => {
  const labels = { app: 'web', env: 'prod', tier: 'front', replicas: '5' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app=web,env=prod', true],
    ['app=web,env=stage', false],
    ['env in (prod,stage)', true],
    ['env in (stage, qa)', false],
    ['env notin (stage,qa)', true],
    ['missing notin (a)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['replicas>3', true],
    ['replicas<3', false],
    ['  app = web ,  tier in ( front )  ', true],
    ['example.com/role in (x)', false],
  ])('%s → %s', (selector, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it('prints a canonical, sorted form that parses back to the same selector', () => {
    const s = parseLabelSelector('tier in (b,a),app=web,!old,env');
    expect(s.toString()).toBe('app=web,env,!old,tier in (a,b)');
    expect(parseLabelSelector(s.toString()).toString()).toBe(s.toString());
  });

  it.each(['app in (', 'app=web,', '=web', 'app notin x', 'bad key!=x', 'app=bad value!', 'replicas>x', 'a b'])(
    'refuses %j with a BadRequest naming the selector',
    (selector) => {
      const err = (() => {
        try {
          parseLabelSelector(selector);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as Error).message).toContain('invalid label selector');
    },
  );
});

describe('labelSelectorFromObject', () => {
  it('combines matchLabels and matchExpressions', () => {
    const s = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'stage'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'Exists' },
        { key: 'zone', operator: 'NotIn', values: ['z1'] },
      ],
    });
    expect(s.matches({ app: 'web', env: 'prod', tier: 'x' })).toBe(true);
    expect(s.matches({ app: 'web', env: 'prod', tier: 'x', canary: '1' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'prod', tier: 'x', zone: 'z1' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'qa', tier: 'x' })).toBe(false);
  });

  it('matches everything for {} and nothing for undefined, as Kubernetes does', () => {
    expect(labelSelectorFromObject({}).matches({})).toBe(true);
    expect(labelSelectorFromObject({}).empty).toBe(true);
    expect(labelSelectorFromObject(undefined).matches({ a: 'b' })).toBe(false);
    expect(everything.matches(undefined)).toBe(true);
    expect(nothing.matches({})).toBe(false);
  });

  it('refuses an unknown operator and In without values', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Near', values: ['b'] }] })).toThrow(BadRequestError);
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(BadRequestError);
  });

  it('selectorFromSet requires every label', () => {
    const s = selectorFromSet({ app: 'web', tier: 'front' });
    expect(s.matches({ app: 'web', tier: 'front', more: 'x' })).toBe(true);
    expect(s.matches({ app: 'web' })).toBe(false);
  });
});
