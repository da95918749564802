import { describe, expect, it } from 'vitest';
import { formatDuration } from './duration.js';

describe('formatDuration', () => {
  it("writes durations as Go's time.Duration.String()", () => {
    // Expected strings as Go prints time.Duration values (time/time_test.go durationTests).
    const cases: [number, string][] = [
      [0, '0s'],
      [0.000_001, '1ns'],
      [0.0011, '1.1µs'],
      [2.2, '2.2ms'],
      [500, '500ms'],
      [1000, '1s'],
      [1500, '1.5s'],
      [3300, '3.3s'],
      [5000, '5s'],
      [60_000, '1m0s'],
      [4 * 60_000 + 5000, '4m5s'],
      [4 * 60_000 + 5001, '4m5.001s'],
      [15 * 60_000, '15m0s'],
      [5 * 3_600_000 + 6 * 60_000 + 7001, '5h6m7.001s'],
      [8 * 60_000 + 0.000_001, '8m0.000000001s'],
      [-1500, '-1.5s'],
    ];
    for (const [ms, text] of cases) expect(formatDuration(ms), `${ms} ms`).toBe(text);
  });
});
