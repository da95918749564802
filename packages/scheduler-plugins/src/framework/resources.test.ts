import { describe, expect, it } from 'vitest';
import { pod } from '../../test/fixtures.js';
import { milliValue, intValue, podNonZeroRequests, podRequests } from './resources.js';

describe('resources', () => {
  it('converts quantities to millicores and bytes, rounding up', () => {
    expect(milliValue('100m')).toBe(100);
    expect(milliValue('0.1')).toBe(100);
    expect(milliValue('1.5')).toBe(1500);
    expect(milliValue('1u')).toBe(1);
    expect(intValue('1Gi')).toBe(1024 ** 3);
    expect(intValue('100m')).toBe(1);
  });

  it('sums containers, takes the max with init containers, adds sidecars and overhead', () => {
    const p = pod('p', {
      containers: [
        { name: 'a', image: 'x', resources: { requests: { cpu: '200m', memory: '100Mi' } } },
        { name: 'b', image: 'x', resources: { requests: { cpu: '300m' } } },
      ] as never,
      spec: {
        initContainers: [
          { name: 'sidecar', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
          { name: 'migrate', image: 'x', resources: { requests: { cpu: '1', memory: '50Mi' } } },
        ] as never,
        overhead: { cpu: '10m', memory: '1Mi' },
      },
    });
    const r = podRequests(p.spec);
    // containers 500m + sidecar 100m = 600m; init peak: migrate 1000m + sidecar 100m = 1100m; + 10m overhead.
    expect(r.milliCPU).toBe(1110);
    expect(r.memory).toBe(101 * 1024 * 1024);
  });

  it('counts 100m CPU and 200 MiB for containers without requests when scoring', () => {
    const p = pod('p', { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x', resources: { requests: { cpu: '0' } } }] as never });
    expect(podNonZeroRequests(p.spec)).toEqual({ milliCPU: 100, memory: 400 * 1024 * 1024 });
    expect(podRequests(p.spec).isZero()).toBe(true);
  });

  it('uses pod-level requests when set', () => {
    const p = pod('p', { cpu: '100m', spec: { resources: { requests: { cpu: '2', memory: '1Gi' } } } });
    expect(podRequests(p.spec).milliCPU).toBe(2000);
    expect(podNonZeroRequests(p.spec)).toEqual({ milliCPU: 2000, memory: 1024 ** 3 });
  });
});
