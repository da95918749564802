import { describe, expect, it } from 'vitest';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';

describe('ControllerExpectations', () => {
  it('is satisfied without expectations, and once every creation is observed', () => {
    const e = new ControllerExpectations();
    expect(e.satisfied('ns/rs', 0)).toBe(true);
    e.expectCreations('ns/rs', 2, 0);
    expect(e.satisfied('ns/rs', 0)).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs', 0)).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs', 0)).toBe(true);
  });

  it('counts each awaited deletion once, by pod key', () => {
    const e = new ControllerExpectations();
    e.expectDeletions('ns/rs', ['ns/a', 'ns/b'], 0);
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/a');
    e.deletionObserved('ns/rs', 'ns/other');
    expect(e.get('ns/rs')?.del).toBe(1);
    expect(e.satisfied('ns/rs', 0)).toBe(false);
    e.deletionObserved('ns/rs', 'ns/b');
    expect(e.satisfied('ns/rs', 0)).toBe(true);
  });

  it('expires after five minutes, and forgets deleted controllers', () => {
    const e = new ControllerExpectations();
    e.expectCreations('ns/rs', 1, 1000);
    expect(e.satisfied('ns/rs', 1000 + EXPECTATIONS_TIMEOUT_MS)).toBe(false);
    expect(e.satisfied('ns/rs', 1001 + EXPECTATIONS_TIMEOUT_MS)).toBe(true);
    e.delete('ns/rs');
    expect(e.get('ns/rs')).toBeUndefined();
  });
});
