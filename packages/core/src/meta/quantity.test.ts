import { describe, expect, it } from 'vitest';
import { formatQuantity, isQuantity, parseQuantity, quantitySchema } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['250m', 0.25],
    ['100m', 0.1],
    ['1', 1],
    ['2', 2],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['+3', 3],
    ['-2', -2],
    ['1k', 1000],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['100n', 1e-7],
    ['5u', 5e-6],
    ['1Ki', 1024],
    ['256Mi', 268435456],
    ['1Gi', 1073741824],
    ['1.5Gi', 1610612736],
    ['1Ti', 2 ** 40],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e-3', 0.001],
    ['12e+2', 1200],
    ['129M', 129e6],
    ['123Mi', 123 * 2 ** 20],
  ])('%s is %d', (q, expected) => {
    expect(parseQuantity(q)).toBeCloseTo(expected, 12);
  });

  it('returns numbers as they are', () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity(0.5)).toBe(0.5);
  });

  it.each(['', 'Ki', 'abc', '1KiB', '1 Ki', '1.2.3', '1e', '1e1.5', '1Kb', '--1', '.', '1m2', '0x10'])(
    'rejects %j',
    (q) => {
      expect(isQuantity(q)).toBe(false);
      expect(() => parseQuantity(q)).toThrow(RangeError);
    },
  );

  it('rejects non-finite numbers', () => {
    expect(isQuantity(Number.POSITIVE_INFINITY)).toBe(false);
    expect(() => parseQuantity(Number.NaN)).toThrow(RangeError);
  });
});

describe('formatQuantity', () => {
  it.each([
    [0, '0'],
    [0.25, '250m'],
    [0.1, '100m'],
    [1, '1'],
    [1.5, '1500m'],
    [1500, '1500'],
    [2000, '2k'],
    [3e6, '3M'],
    [1e-7, '100n'],
    [1e-12, '1n'],
    [-0.5, '-500m'],
  ])('DecimalSI %d is %s', (n, s) => {
    expect(formatQuantity(n)).toBe(s);
  });

  it.each([
    [1073741824, '1Gi'],
    [268435456, '256Mi'],
    [1024, '1Ki'],
    [1536, '1536'],
    [100, '100'],
    [0.5, '500m'],
  ])('BinarySI %d is %s', (n, s) => {
    expect(formatQuantity(n, 'BinarySI')).toBe(s);
  });

  it('round-trips through parseQuantity', () => {
    for (const q of ['250m', '1Gi', '3k', '7', '100n', '512Mi']) {
      const format = /i$/.test(q) ? 'BinarySI' : 'DecimalSI';
      expect(formatQuantity(parseQuantity(q), format)).toBe(q);
    }
  });
});

describe('quantitySchema', () => {
  it('accepts strings in the grammar and numbers', () => {
    for (const q of ['250m', '1Gi', 2, 0.5, '1e3', '1.5Gi']) expect(quantitySchema.parse(q)).toBe(q);
  });

  it('rejects bad strings and other types with Kubernetes’ message', () => {
    const r = quantitySchema.safeParse('1GB');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/quantities must match the regular expression/);
    expect(quantitySchema.safeParse(true).success).toBe(false);
  });
});
