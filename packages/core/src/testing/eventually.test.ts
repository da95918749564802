import { describe, expect, it } from 'vitest';
import { eventually } from './eventually.js';
import { FakeClock } from './fake-clock.js';

describe('eventually', () => {
  it('advances the fake clock between checks and returns the first truthy value', async () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 1_500);
    expect(await eventually(() => (fired ? clock.now() : undefined), { clock, stepMs: 100 })).toBe(1_500);
  });

  it('waits for real I/O that outlasts the fake time, without moving the fake clock further', async () => {
    const clock = new FakeClock(0);
    let done = false;
    // Real work that takes longer than spending 1 s of fake time in 100 ms steps does.
    setTimeout(() => (done = true), 200);
    const started = performance.now();
    await eventually(() => done, { clock, timeoutMs: 1_000, realTimeoutMs: 5_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(clock.now()).toBe(1_000);
  });

  it('fails with the last error once both the fake and the real time are spent', async () => {
    const clock = new FakeClock(0);
    const started = performance.now();
    const failure = eventually(
      () => {
        throw new Error('not yet');
      },
      { clock, timeoutMs: 500, realTimeoutMs: 100 },
    );
    await expect(failure).rejects.toThrow('eventually: still failing after 500 ms: not yet');
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(clock.now()).toBe(500);
  });
});
