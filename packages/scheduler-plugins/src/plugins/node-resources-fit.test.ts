import { describe, expect, it } from 'vitest';
import { feasible, harness, node, pod } from '../../test/fixtures.js';
import { balancedResourceScore } from './node-resources-balanced-allocation.js';

describe('NodeResourcesFit', () => {
  it('rejects nodes without room, one reason per missing resource', () => {
    const h = harness({
      plugin: 'NodeResourcesFit',
      nodes: [node('big', { cpu: '4', memory: '8Gi' }), node('small', { cpu: '1', memory: '1Gi' }), node('full', { cpu: '4', memory: '8Gi', pods: 1 })],
      pods: [pod('existing', { cpu: '500m', nodeName: 'full' })],
    });
    const s = h.filter(pod('p', { cpu: '2', memory: '2Gi' }));
    expect(feasible(s)).toEqual(['big']);
    expect(s.get('small')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient cpu', 'Insufficient memory'] });
    expect(s.get('full')).toMatchObject({ code: 'Unschedulable', reasons: ['Too many pods'] });
  });

  it('counts the requests of the pods already on the node; Unschedulable (preemption may help) when the node is big enough', () => {
    const h = harness({ plugin: 'NodeResourcesFit', nodes: [node('n', { cpu: '2' })], pods: [pod('a', { cpu: '1500m', nodeName: 'n' })] });
    expect(h.filter(pod('p', { cpu: '500m' })).get('n')?.isSuccess()).toBe(true);
    expect(h.filter(pod('p', { cpu: '600m' })).get('n')).toMatchObject({ code: 'Unschedulable', reasons: ['Insufficient cpu'] });
  });

  it('takes the larger of the containers and each init container, plus overhead', () => {
    const h = harness({ plugin: 'NodeResourcesFit', nodes: [node('n', { cpu: '2' })] });
    const withInit = (initCpu: string, overhead?: string) =>
      pod('p', {
        cpu: '500m',
        spec: {
          initContainers: [{ name: 'init', image: 'busybox', resources: { requests: { cpu: initCpu } } } as never],
          ...(overhead === undefined ? {} : { overhead: { cpu: overhead } }),
        },
      });
    expect(h.filter(withInit('2')).get('n')?.isSuccess()).toBe(true);
    expect(h.filter(withInit('2100m')).get('n')?.reasons).toEqual(['Insufficient cpu']);
    // Overhead is added on top: 2 (init peak) + 100m.
    expect(h.filter(withInit('2', '100m')).get('n')?.reasons).toEqual(['Insufficient cpu']);
    expect(h.filter(withInit('1', '1000m')).get('n')?.isSuccess()).toBe(true);
  });

  it('counts sidecars (init containers with restartPolicy Always) for the whole life of the pod', () => {
    const h = harness({ plugin: 'NodeResourcesFit', nodes: [node('n', { cpu: '2' })] });
    const p = pod('p', {
      cpu: '1500m',
      spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always', resources: { requests: { cpu: '600m' } } } as never] },
    });
    expect(h.filter(p).get('n')?.reasons).toEqual(['Insufficient cpu']);
  });

  it('checks extended resources, and ignores the configured ones', () => {
    const gpuNode = node('gpu', { extra: { 'example.com/gpu': '1' } });
    const plain = node('plain');
    const p = pod('p', { containers: [{ name: 'c', image: 'cuda', resources: { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } } } as never] });
    const h = harness({ plugin: 'NodeResourcesFit', nodes: [gpuNode, plain] });
    const s = h.filter(p);
    expect(feasible(s)).toEqual(['gpu']);
    expect(s.get('plain')).toMatchObject({ code: 'UnschedulableAndUnresolvable', reasons: ['Insufficient example.com/gpu'] });
    const ignoring = harness({ plugin: 'NodeResourcesFit', nodes: [gpuNode, plain], args: { ignoredResourceGroups: ['example.com'] } });
    expect(feasible(ignoring.filter(p))).toEqual(['gpu', 'plain']);
  });

  it('scores LeastAllocated by default: the emptier node wins; containers without requests count 100m / 200Mi', () => {
    const h = harness({
      plugin: 'NodeResourcesFit',
      nodes: [node('empty', { cpu: '4', memory: '8Gi' }), node('busy', { cpu: '4', memory: '8Gi' })],
      pods: [pod('a', { cpu: '2', memory: '4Gi', nodeName: 'busy' })],
    });
    // empty: cpu (4000-1000)/4000 = 75, memory (8-2)/8 = 75 → 75; busy: cpu 25, memory 25 → 25.
    expect(Object.fromEntries(h.score(pod('p', { cpu: '1', memory: '2Gi' })))).toEqual({ empty: 75, busy: 25 });
    // No requests: 100m and 200Mi. cpu (4000-100)*100/4000 = 97, memory (8192-200)*100/8192 = 97.
    expect(h.score(pod('q')).get('empty')).toBe(97);
  });

  it('scores MostAllocated: the fuller node wins', () => {
    const h = harness({
      plugin: 'NodeResourcesFit',
      nodes: [node('empty', { cpu: '4', memory: '8Gi' }), node('busy', { cpu: '4', memory: '8Gi' })],
      pods: [pod('a', { cpu: '2', memory: '4Gi', nodeName: 'busy' })],
      args: { scoringStrategy: { type: 'MostAllocated' } },
    });
    expect(Object.fromEntries(h.score(pod('p', { cpu: '1', memory: '2Gi' })))).toEqual({ empty: 25, busy: 75 });
  });

  it('scores RequestedToCapacityRatio along its shape, with resource weights', () => {
    const h = harness({
      plugin: 'NodeResourcesFit',
      nodes: [node('empty', { cpu: '4', memory: '8Gi' }), node('busy', { cpu: '4', memory: '8Gi' })],
      pods: [pod('a', { cpu: '2', memory: '4Gi', nodeName: 'busy' })],
      args: {
        scoringStrategy: {
          type: 'RequestedToCapacityRatio',
          resources: [{ name: 'cpu', weight: 1 }],
          requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] },
        },
      },
    });
    // Bin packing: utilization after placing the pod, 25% and 75%.
    expect(Object.fromEntries(h.score(pod('p', { cpu: '1' })))).toEqual({ empty: 25, busy: 75 });
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('prefers the node where CPU and memory end up equally used', () => {
    const h = harness({
      plugin: 'NodeResourcesBalancedAllocation',
      nodes: [node('balanced', { cpu: '4', memory: '8Gi' }), node('skewed', { cpu: '4', memory: '8Gi' })],
      pods: [pod('a', { cpu: '3', memory: '1Gi', nodeName: 'skewed' })],
    });
    // balanced: 1/4 cpu, 2/8 memory → std 0 → 100; skewed: 4/4 and 3/8 → std 0.3125 → 68.
    expect(Object.fromEntries(h.score(pod('p', { cpu: '1', memory: '2Gi' })))).toEqual({ balanced: 100, skewed: 68 });
  });

  it('uses the standard deviation over 3 or more resources (extended ones only when the pod requests them)', () => {
    const gpu = (name: string, requests: Record<string, string>, nodeName?: string) =>
      pod(name, {
        ...(nodeName === undefined ? {} : { nodeName }),
        containers: [{ name: 'c', image: 'cuda', resources: { requests, ...(requests['example.com/gpu'] === undefined ? {} : { limits: { 'example.com/gpu': requests['example.com/gpu'] } }) } } as never],
      });
    const h = harness({
      plugin: 'NodeResourcesBalancedAllocation',
      nodes: [node('even', { cpu: '4', memory: '8Gi', extra: { 'example.com/gpu': '4' } }), node('gpu-busy', { cpu: '4', memory: '8Gi', extra: { 'example.com/gpu': '4' } })],
      pods: [gpu('trainer', { 'example.com/gpu': '2' }, 'gpu-busy')],
      args: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 1 }] },
    });
    // even: 1/4, 2/8, 1/4 → std 0 → 100. gpu-busy: 1/4, 2/8, 3/4 → mean 5/12,
    // std sqrt(((1/6)² + (1/6)² + (1/3)²) / 3) = 0.2357 → (1 − 0.2357) × 100 = 76.
    expect(Object.fromEntries(h.score(gpu('p', { cpu: '1', memory: '2Gi', 'example.com/gpu': '1' })))).toEqual({ even: 100, 'gpu-busy': 76 });
    // A pod that requests no GPU is scored on cpu and memory alone, wherever the GPUs are used.
    expect(Object.fromEntries(h.score(gpu('q', { cpu: '1', memory: '2Gi' })))).toEqual({ even: 100, 'gpu-busy': 100 });
    // The formula itself, beyond two fractions: 1/4, 2/4, 3/4 → std 0.2041 → 79; fractions are
    // capped at 1 and zero-capacity resources left out: 8/4 → 1, 2/4, (2/0 skipped), 5/4 → 1 → 76.
    expect(balancedResourceScore([1, 2, 3], [4, 4, 4])).toBe(79);
    expect(balancedResourceScore([8, 2, 2, 5], [4, 4, 0, 4])).toBe(76);
  });

  it('skips best-effort pods', () => {
    const h = harness({ plugin: 'NodeResourcesBalancedAllocation', nodes: [node('a'), node('b')] });
    expect(Object.fromEntries(h.score(pod('p')))).toEqual({ a: 0, b: 0 });
  });
});

describe('NodePorts', () => {
  it('rejects nodes where a requested host port is taken (0.0.0.0 conflicts with every IP)', () => {
    const withPort = (name: string, port: number, hostIP?: string, nodeName?: string) =>
      pod(name, {
        ...(nodeName === undefined ? {} : { nodeName }),
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, hostPort: port, protocol: 'TCP', ...(hostIP === undefined ? {} : { hostIP }) }] } as never],
      });
    const h = harness({
      plugin: 'NodePorts',
      nodes: [node('a'), node('b'), node('c')],
      pods: [withPort('x', 8080, undefined, 'a'), withPort('y', 8080, '10.0.0.1', 'b')],
    });
    const s = h.filter(withPort('p', 8080));
    expect(feasible(s)).toEqual(['c']);
    expect(s.get('a')).toMatchObject({ code: 'Unschedulable', reasons: ["node(s) didn't have free ports for the requested pod ports"] });
    expect(feasible(h.filter(withPort('q', 8080, '10.0.0.2')))).toEqual(['b', 'c']);
    expect(feasible(h.filter(withPort('r', 9090)))).toEqual(['a', 'b', 'c']);
  });

  it('keeps protocols apart on the same port, takes TCP for an unset protocol, and treats an explicit 0.0.0.0 as every IP', () => {
    const withPort = (name: string, o: { port: number; protocol?: 'TCP' | 'UDP' | 'SCTP'; hostIP?: string; nodeName?: string }) =>
      pod(name, {
        ...(o.nodeName === undefined ? {} : { nodeName: o.nodeName }),
        containers: [
          { name: 'c', image: 'dns', ports: [{ containerPort: 53, hostPort: o.port, ...(o.protocol === undefined ? {} : { protocol: o.protocol }), ...(o.hostIP === undefined ? {} : { hostIP: o.hostIP }) }] } as never,
        ],
      });
    const h = harness({
      plugin: 'NodePorts',
      nodes: [node('tcp'), node('udp-on-ip'), node('all-ips')],
      pods: [
        withPort('x', { port: 53, protocol: 'TCP', nodeName: 'tcp' }),
        withPort('y', { port: 53, protocol: 'UDP', hostIP: '10.0.0.1', nodeName: 'udp-on-ip' }),
        withPort('z', { port: 53, protocol: 'UDP', hostIP: '0.0.0.0', nodeName: 'all-ips' }),
      ],
    });
    // UDP on any IP: free only where 53 is taken for TCP alone.
    expect(feasible(h.filter(withPort('p', { port: 53, protocol: 'UDP' })))).toEqual(['tcp']);
    // An explicit 0.0.0.0 is the same as none.
    expect(feasible(h.filter(withPort('p', { port: 53, protocol: 'UDP', hostIP: '0.0.0.0' })))).toEqual(['tcp']);
    // UDP on another IP: blocked only by the pod bound to every IP.
    expect(feasible(h.filter(withPort('p', { port: 53, protocol: 'UDP', hostIP: '10.0.0.2' })))).toEqual(['tcp', 'udp-on-ip']);
    // No protocol means TCP: blocked by x only.
    expect(feasible(h.filter(withPort('p', { port: 53 })))).toEqual(['udp-on-ip', 'all-ips']);
    expect(feasible(h.filter(withPort('p', { port: 53, protocol: 'SCTP' })))).toEqual(['tcp', 'udp-on-ip', 'all-ips']);
  });
});

describe('ImageLocality', () => {
  it('prefers nodes that have the images, scaled by how many nodes have them', () => {
    const mb = 1024 * 1024;
    const h = harness({
      plugin: 'ImageLocality',
      nodes: [
        node('has', { images: [{ names: ['registry.example/app:1.0'], sizeBytes: 500 * mb }] }),
        node('also', { images: [{ names: ['registry.example/app:1.0'], sizeBytes: 500 * mb }] }),
        node('none'),
        node('latest', { images: [{ names: ['busybox:latest'], sizeBytes: 300 * mb }] }),
      ],
    });
    // 500 MiB on 2 of 4 nodes → 250 MiB; (250 − 23) × 100 / (1000 − 23) = 23.
    expect(Object.fromEntries(h.score(pod('p')))).toEqual({ has: 23, also: 23, none: 0, latest: 0 });
    // An untagged image means :latest. 300 MiB on 1 of 4 → 75 MiB → 5.
    const busybox = pod('q', { containers: [{ name: 'c', image: 'busybox' } as never] });
    expect(h.score(busybox).get('latest')).toBe(5);
  });
});
