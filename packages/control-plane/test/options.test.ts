/**
 * `createControlPlane` passes the built-in controllers' settings through: the Service cluster IP
 * range and the node lifecycle settings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { kinds } from '@harbormaster/core';
import { eventually, FakeClock } from '@harbormaster/core/testing';
import { createControlPlane, type ControlPlane } from '../src/index.js';

let cp: ControlPlane | undefined;
afterEach(async () => {
  await cp?.stop();
  cp = undefined;
});

const service = (name: string, clusterIP?: string) => ({
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }], ...(clusterIP === undefined ? {} : { clusterIP }) },
});

describe('createControlPlane options', () => {
  it('allocates Service cluster IPs from serviceClusterIPRange', async () => {
    cp = await createControlPlane({ clock: new FakeClock(Date.UTC(2026, 10, 25, 12)), serviceClusterIPRange: '172.30.0.0/24' });
    await cp.start();
    const ips = [];
    for (const name of ['web', 'api', 'db']) ips.push((await cp.client.create(kinds.Service, service(name))).spec.clusterIP);
    for (const ip of ips) expect(ip).toMatch(/^172\.30\.0\.\d{1,3}$/);
    expect(new Set(ips).size).toBe(3);
    // An address outside the range is refused, as kube-apiserver refuses it.
    await expect(cp.client.create(kinds.Service, service('outside', '10.96.0.10'))).rejects.toThrow(/10\.96\.0\.10/);
  });

  it('keeps the default range without the option', async () => {
    cp = await createControlPlane({ clock: new FakeClock(Date.UTC(2026, 10, 25, 12)) });
    await cp.start();
    expect((await cp.client.create(kinds.Service, service('web'))).spec.clusterIP).toMatch(/^10\.(9[6-9]|1[01][0-9])\./);
  });

  it('passes nodeLifecycle to the node lifecycle controller: a shorter grace period notices a silent node sooner', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12));
    cp = await createControlPlane({ clock, nodes: { nodes: 3, readyDelayMs: 0, tickMs: 0 }, nodeLifecycle: { nodeMonitorGracePeriodMs: 20_000 } });
    await cp.start();
    const node = cp.cluster?.nodes[0];
    if (node === undefined) throw new Error('expected simulated nodes');
    await eventually(async () => (await cp?.client.get(kinds.Node, { name: node.name }))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), {
      clock,
    });
    const stoppedAt = clock.now();
    await node.stop();
    await eventually(
      async () => (await cp?.client.get(kinds.Node, { name: node.name }))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'Unknown'),
      { clock, stepMs: 1000 },
    );
    // 20 s after the last lease renewal (every 10 s), noticed on a 5 s monitor pass; the default 50 s would take 50–65 s.
    expect(clock.now() - stoppedAt).toBeLessThanOrEqual(35_000);
  });
});
