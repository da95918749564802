import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventually, FakeClock } from '@harbormaster/core/testing';
import { createControlPlane, type ControlPlane } from '../src/index.js';

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLICAS = 6;
const MAX_SURGE = 2; // 25% of 6, rounded up
/** Replay one run with `CHAOS_SEED=<seed>`; by default several seeds run. */
const SEEDS = process.env['CHAOS_SEED'] === undefined ? [20261125, 1, 2, 3] : [Number(process.env['CHAOS_SEED'])];
const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

let running: ControlPlane | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('chaos: pod deletions and node failures during rollouts', () => {
  it.each(SEEDS)("keeps the Deployment's invariants at every step and converges (seed %i)", async (seed) => {
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12));
    const cp = (running = await createControlPlane({ clock, nodes: { nodes: 6, readyDelayMs: 1500, deletionDelayMs: 500, tickMs: 0 } }));
    await cp.start();
    const client = cp.client;
    await client.create(kinds.Deployment, {
      metadata: { name: 'web' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'acme/web:0' }] } },
      },
    });

    const violations: string[] = [];
    const deploymentUid = (await client.get(kinds.Deployment, { name: 'web' })).metadata.uid;
    /** Each ReplicaSet's spec.replicas at the previous check, by uid. */
    let previousSpec = new Map<string, number>();
    let lastRevision = 0;
    const checkInvariants = async (when: string): Promise<void> => {
      const all = (await client.list(kinds.ReplicaSet, { labelSelector: 'app=web' })).items;
      const sets = all.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === deploymentUid && r.controller === true));
      const desired = sets.reduce((n, rs) => n + rs.spec.replicas, 0);
      if (desired > REPLICAS + MAX_SURGE) violations.push(`${when}: ReplicaSets want ${desired} pods > ${REPLICAS + MAX_SURGE}`);
      const pods = (await client.list(kinds.Pod, { labelSelector: 'app=web' })).items;
      for (const p of pods) {
        const controllers = (p.metadata.ownerReferences ?? []).filter((r) => r.controller === true);
        if (controllers.length > 1) violations.push(`${when}: pod ${p.metadata.name ?? ''} has ${controllers.length} controllers`);
      }
      // No ReplicaSet runs more active pods than it asked for over the last two steps (a scale-down
      // takes a moment to reach the pods; an over-creation never does).
      const spec = new Map(all.map((rs) => [rs.metadata.uid ?? '', rs.spec.replicas]));
      for (const rs of all) {
        const uid = rs.metadata.uid ?? '';
        const allowed = Math.max(rs.spec.replicas, previousSpec.get(uid) ?? 0);
        const active = pods.filter(
          (p) =>
            !p.metadata.deletionTimestamp &&
            p.status?.phase !== 'Succeeded' &&
            p.status?.phase !== 'Failed' &&
            p.metadata.ownerReferences?.some((r) => r.uid === uid && r.controller === true),
        ).length;
        if (active > allowed) violations.push(`${when}: ReplicaSet ${rs.metadata.name ?? ''} has ${active} active pods > ${allowed}`);
      }
      previousSpec = spec;
      // The Deployment's revision only goes up.
      const revision = Number((await client.get(kinds.Deployment, { name: 'web' })).metadata.annotations?.[REVISION] ?? 0);
      if (revision < lastRevision) violations.push(`${when}: revision went from ${lastRevision} down to ${revision}`);
      lastRevision = Math.max(lastRevision, revision);
      // One ReplicaSet per pod template.
      const byHash = new Map<string, string[]>();
      for (const rs of all) {
        const hash = rs.metadata.labels?.[HASH] ?? '';
        byHash.set(hash, [...(byHash.get(hash) ?? []), rs.metadata.name ?? '']);
      }
      for (const [hash, names] of byHash) if (names.length > 1) violations.push(`${when}: ${names.length} ReplicaSets for ${HASH} ${hash}: ${names.join(', ')}`);
      // The scheduler never binds a pod to a node it knows is down (tainted unreachable) when the pod
      // was created after the taint.
      const nodes = (await client.list(kinds.Node)).items;
      for (const n of nodes) {
        const taint = n.spec.taints?.find((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule');
        if (taint?.timeAdded === undefined || taint.timeAdded === null) continue;
        for (const p of pods) {
          if (p.spec.nodeName !== n.metadata.name) continue;
          const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime;
          if (scheduled !== undefined && scheduled !== null && scheduled > taint.timeAdded) violations.push(`${when}: pod ${p.metadata.name ?? ''} scheduled onto tainted node ${n.metadata.name ?? ''}`);
        }
      }
    };

    const down = new Set<string>();
    const actions = { podsDeleted: 0, nodesStopped: 0, nodesRestarted: 0 };
    const stepMs = 500;
    for (let rollout = 1; rollout <= 6; rollout++) {
      await client.patch(kinds.Deployment, { name: 'web' }, { spec: { template: { spec: { containers: [{ name: 'web', image: `acme/web:${rollout}` }] } } } } as never);
      // About 40 s of chaos during each rollout.
      for (let step = 0; step < 80; step++) {
        const r = random();
        if (r < 0.06) {
          const pods = (await client.list(kinds.Pod, { labelSelector: 'app=web' })).items.filter((p) => !p.metadata.deletionTimestamp);
          const victim = pick(pods);
          if (victim) {
            await client.delete(kinds.Pod, { namespace: 'default', name: victim.metadata.name ?? '' }).catch(() => undefined);
            actions.podsDeleted++;
          }
        } else if (r < 0.08 && down.size < 2) {
          const node = pick((cp.cluster?.nodes ?? []).filter((n) => n.running));
          if (node) {
            down.add(node.name);
            await node.stop();
            actions.nodesStopped++;
          }
        } else if (r < 0.1 && down.size > 0) {
          const name = pick([...down]);
          if (name !== undefined) {
            down.delete(name);
            void cp.cluster?.node(name)?.start(new AbortController().signal);
            actions.nodesRestarted++;
          }
        }
        await clock.advance(stepMs);
        await checkInvariants(`rollout ${rollout}, step ${step}`);
        // Report the first broken invariant where it broke.
        expect(violations).toEqual([]);
      }
    }

    // Calm: bring every node back and let it settle.
    for (const name of down) void cp.cluster?.node(name)?.start(new AbortController().signal);
    down.clear();
    const settled = eventually(
      async () => {
        await checkInvariants('settling');
        const d = await client.get(kinds.Deployment, { name: 'web' });
        const s = d.status;
        if (s?.observedGeneration !== d.metadata.generation) return false;
        if (s?.updatedReplicas !== REPLICAS || s.availableReplicas !== REPLICAS || s.replicas !== REPLICAS) return false;
        const pods = (await client.list(kinds.Pod, { labelSelector: 'app=web' })).items;
        return pods.length === REPLICAS && pods.every((p) => p.spec.containers[0]?.image === 'acme/web:6' && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      },
      { clock, stepMs: 1000, timeoutMs: 900_000 },
    );
    // A broken invariant explains a failure to settle better than the timeout does.
    await settled.catch((e: unknown) => {
      expect(violations).toEqual([]);
      throw e;
    });
    const sets = (await client.list(kinds.ReplicaSet, { labelSelector: 'app=web' })).items;
    expect(sets.filter((rs) => rs.spec.replicas > 0)).toHaveLength(1);
    expect(sets.length).toBeLessThanOrEqual(11); // revisionHistoryLimit 10 + the current one
    expect(violations).toEqual([]);
    // The chaos really happened.
    expect(actions.podsDeleted).toBeGreaterThanOrEqual(10);
    expect(actions.nodesStopped).toBeGreaterThanOrEqual(3);
    expect(lastRevision).toBe(6 + 1);
  }, 120_000);
});
