import { describe, expect, it } from 'vitest';
import type { kinds } from '@harbormaster/core';
import { node, pod } from '../../test/fixtures.js';
import { PodInfo } from '../framework/pod-info.js';
import { SchedulerCache } from './scheduler-cache.js';
import { NodeTree } from './node-tree.js';

const bound = (p: kinds.Pod, nodeName: string): kinds.Pod => ({ ...p, spec: { ...p.spec, nodeName } });

describe('SchedulerCache', () => {
  it('assumes a pod on its node at once, and forgets it when the binding fails', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('n', { cpu: '2' }));
    const p = pod('p', { cpu: '1500m' });
    cache.assumePod(PodInfo.of(bound(p, 'n')));
    expect(cache.isAssumed(p.metadata.uid ?? '')).toBe(true);
    expect(cache.get('n')?.requested.milliCPU).toBe(1500);
    expect(cache.get('n')?.pods).toHaveLength(1);
    cache.forgetPod(p.metadata.uid ?? '');
    expect(cache.get('n')?.requested.milliCPU).toBe(0);
    expect(cache.hasPod(p.metadata.uid ?? '')).toBe(false);
  });

  it('confirms an assumed pod when the informer sees it bound, on the node it was really bound to', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('a'));
    cache.addNode(node('b'));
    const p = pod('p', { cpu: '1' });
    cache.assumePod(PodInfo.of(bound(p, 'a')));
    cache.addPod(PodInfo.of(bound(p, 'b')));
    expect(cache.isAssumed(p.metadata.uid ?? '')).toBe(false);
    expect(cache.get('a')?.requested.milliCPU).toBe(0);
    expect(cache.get('b')?.requested.milliCPU).toBe(1000);
    // Forgetting a confirmed pod does nothing; removing it frees the node.
    cache.forgetPod(p.metadata.uid ?? '');
    expect(cache.get('b')?.pods).toHaveLength(1);
    cache.removePod(p.metadata.uid ?? '');
    expect(cache.get('b')?.pods).toHaveLength(0);
  });

  it("keeps every node's numbers in a packed array that grows and reuses freed slots", () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 2100; i++) {
      cache.addNode(node(`n-${i}`, { cpu: String(1 + (i % 7)), memory: `${1 + (i % 5)}Gi` }));
      cache.addPod(PodInfo.of(bound(pod(`p-${i}`, { cpu: '100m', memory: '1Mi' }), `n-${i}`)));
    }
    for (let i = 0; i < 2100; i += 97) {
      const ni = cache.get(`n-${i}`);
      expect(ni?.allocatableMilliCPU).toBe(1000 * (1 + (i % 7)));
      expect(ni?.allocatableMemory).toBe((1 + (i % 5)) * 1024 ** 3);
      expect(ni?.requestedMilliCPU).toBe(100);
      expect(ni?.requestedMemory).toBe(1024 ** 2);
      expect(ni?.podCount).toBe(1);
    }
    cache.removePod((cache.get('n-5')?.pods[0]?.uid) ?? '');
    cache.removeNode('n-5');
    cache.addNode(node('fresh', { cpu: '3' }));
    expect(cache.get('fresh')).toMatchObject({ allocatableMilliCPU: 3000, requestedMilliCPU: 0, podCount: 0 });
    expect(cache.get('n-6')?.requestedMilliCPU).toBe(100);
    // A clone has numbers of its own.
    const clone = cache.get('n-6')?.clone();
    clone?.removePod(clone.pods[0]?.key ?? '');
    expect(clone?.requestedMilliCPU).toBe(0);
    expect(cache.get('n-6')?.requestedMilliCPU).toBe(100);
  });

  it('refuses to assume a pod twice', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('a'));
    const p = bound(pod('p'), 'a');
    cache.assumePod(PodInfo.of(p));
    expect(() => cache.assumePod(PodInfo.of(p))).toThrow(/in the cache already/);
  });

  it('keeps pods of a node that is deleted until they go, and lists only nodes with a Node object', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('a'));
    const p = bound(pod('p'), 'a');
    cache.addPod(PodInfo.of(p));
    cache.removeNode('a');
    expect(cache.list()).toHaveLength(0);
    expect(cache.get('a')).toBeUndefined();
    cache.addNode(node('a'));
    expect(cache.get('a')?.pods).toHaveLength(1);
  });

  it('tracks images per node with the number of nodes that have them', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('a', { images: [{ names: ['nginx:1.27'], sizeBytes: 100 }] }));
    cache.addNode(node('b', { images: [{ names: ['nginx:1.27'], sizeBytes: 100 }] }));
    expect(cache.get('a')?.imageStates.get('nginx:1.27')?.nodes.size).toBe(2);
    cache.removeNode('b');
    expect(cache.get('a')?.imageStates.get('nginx:1.27')?.nodes.size).toBe(1);
  });

  it('lists nodes with (anti-)affinity pods', () => {
    const cache = new SchedulerCache();
    cache.addNode(node('a'));
    cache.addNode(node('b'));
    const anti = pod('anti', {
      nodeName: 'b',
      spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: {} }] } } },
    });
    cache.addPod(PodInfo.of(anti));
    expect(cache.havePodsWithAffinityList().map((n) => n.name)).toEqual(['b']);
    expect(cache.havePodsWithRequiredAntiAffinityList().map((n) => n.name)).toEqual(['b']);
  });
});

describe('NodeTree', () => {
  it('lists nodes round-robin across zones', () => {
    const t = new NodeTree();
    const zoned = (name: string, zone: string) => node(name, { labels: { 'topology.kubernetes.io/zone': zone } });
    for (const n of [zoned('a1', 'a'), zoned('a2', 'a'), zoned('a3', 'a'), zoned('b1', 'b'), zoned('c1', 'c'), zoned('c2', 'c')]) t.add(n);
    expect(t.list()).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    t.remove('b1');
    expect(t.list()).toEqual(['a1', 'c1', 'a2', 'c2', 'a3']);
  });
});
