import { describe, expect, it } from 'vitest';
import { createApiServer, kinds } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';
import { defaultTolerationSeconds } from './default-toleration-seconds.js';
import { matchingTolerations, minTolerationSeconds, toleratesTaint } from './taints.js';

const pod = (name: string, tolerations?: kinds.Toleration[]) => ({
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'nginx' }], ...(tolerations ? { tolerations } : {}) },
});

describe('DefaultTolerationSeconds', () => {
  it('adds the not-ready and unreachable NoExecute tolerations with 300 s', async () => {
    const api = createApiServer({ store: memoryStore(), admission: [defaultTolerationSeconds()] });
    const p = await api.client.create(kinds.Pod, pod('web'));
    expect(p.spec.tolerations).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
    await api.close();
  });

  it('keeps tolerations the pod has, and adds only what is missing', async () => {
    const api = createApiServer({ store: memoryStore(), admission: [defaultTolerationSeconds({ unreachableTolerationSeconds: 30 })] });
    const own = { key: 'node.kubernetes.io/not-ready', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 10 };
    const p = await api.client.create(kinds.Pod, pod('web', [own]));
    expect(p.spec.tolerations).toEqual([own, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]);
    // A toleration of everything counts for both.
    const all = await api.client.create(kinds.Pod, pod('all', [{ operator: 'Exists' }]));
    expect(all.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    await api.close();
  });
});

describe('taint matching', () => {
  const unreachable: kinds.Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  it('matches tolerations as Kubernetes does', () => {
    expect(toleratesTaint({ operator: 'Exists' }, unreachable)).toBe(true);
    expect(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable)).toBe(false);
    expect(toleratesTaint({ key: 'node.kubernetes.io/unreachable' }, unreachable)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu' }, { key: 'dedicated', value: 'gpu', effect: 'NoExecute' })).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'cpu' }, { key: 'dedicated', value: 'gpu', effect: 'NoExecute' })).toBe(false);
    expect(toleratesTaint({ key: 'level', operator: 'Gt', value: '3' }, { key: 'level', value: '5', effect: 'NoExecute' })).toBe(true);
  });

  it('uses the smallest tolerationSeconds; none means forever, no toleration means now', () => {
    const m = matchingTolerations([unreachable], [{ operator: 'Exists', tolerationSeconds: 60 }]);
    expect(m.allTolerated).toBe(true);
    expect(minTolerationSeconds(m.used)).toBe(60);
    expect(minTolerationSeconds([{ operator: 'Exists' }])).toBeUndefined();
    expect(minTolerationSeconds([{ operator: 'Exists', tolerationSeconds: -1 }])).toBe(0);
    expect(matchingTolerations([unreachable], []).allTolerated).toBe(false);
  });
});
