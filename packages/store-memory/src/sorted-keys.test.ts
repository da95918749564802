import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys } from './sorted-keys.js';

describe('SortedKeys', () => {
  it('behaves like a sorted array under random adds, deletes and scans (small chunks force splits)', () => {
    const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/'), maxLength: 4 });
    const operation = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), key }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('scan' as const), key, exclusive: fc.boolean(), take: fc.nat({ max: 6 }) }) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(operation, { maxLength: 120 }), (chunkSize, operations) => {
        const set = new SortedKeys(chunkSize);
        let model: string[] = [];
        for (const operation of operations) {
          switch (operation.op) {
            case 'add': {
              const added = !model.includes(operation.key);
              expect(set.add(operation.key)).toBe(added);
              if (added) model = [...model, operation.key].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
              break;
            }
            case 'delete': {
              const present = model.includes(operation.key);
              expect(set.delete(operation.key)).toBe(present);
              model = model.filter((k) => k !== operation.key);
              break;
            }
            case 'scan': {
              const seen: string[] = [];
              set.scan(operation.key, operation.exclusive, (k) => {
                seen.push(k);
                return seen.length < operation.take;
              });
              // `visit` sees one key more than it accepts: the one it answers false to.
              const expected = model
                .filter((k) => (operation.exclusive ? k > operation.key : k >= operation.key))
                .slice(0, Math.max(1, operation.take));
              expect(seen).toEqual(expected);
              break;
            }
          }
          expect(set.size).toBe(model.length);
        }
        const all: string[] = [];
        set.scan('', false, (k) => all.push(k) > 0);
        expect(all).toEqual(model);
        for (const k of model) expect(set.has(k)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps many keys in order', () => {
    const set = new SortedKeys();
    const keys = Array.from({ length: 5000 }, (_, i) => `/k/${(i * 7919) % 5000}`);
    for (const key of keys) set.add(key);
    for (const key of keys.slice(0, 2500)) set.delete(key);
    const all: string[] = [];
    set.scan('', false, (k) => all.push(k) > 0);
    expect(all).toEqual(keys.slice(2500).sort());
  });
});
