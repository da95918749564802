import { describe, expect, it } from 'vitest';
import { createApiServer, isInvalid, kinds } from '@harbormaster/core';
import { createTestEnv, FakeClock, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { parseIpv4, parseIpv4Cidr } from './cidr.js';
import { serviceIPAllocator, setupServiceIPRepairController, type ServiceIPAllocator } from './service-ip-allocator.js';

async function env(range?: string): Promise<{ e: TestEnv; ips: ServiceIPAllocator }> {
  const e = await createTestEnv({ store: memoryStore() });
  const ips = serviceIPAllocator({ ...(range === undefined ? {} : { range }), client: e.api.client, clock: e.clock });
  e.api.admission.add(ips);
  setupServiceIPRepairController(e.manager, { allocator: ips });
  await e.start();
  return { e, ips };
}

const svc = (name: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec },
});

async function invalidMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isInvalid(e)) return e.causes.map((c) => `${c.field}: ${c.message}`).join('; ');
    throw e;
  }
  throw new Error('expected 422 Invalid');
}

describe('CIDR parsing', () => {
  it('parses IPv4 addresses and ranges, clearing host bits', () => {
    expect(parseIpv4('10.96.0.1')).toBe(0x0a600001);
    expect(parseIpv4('10.96.0')).toBeUndefined();
    expect(parseIpv4('10.96.0.01')).toBeUndefined();
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(parseIpv4Cidr('10.96.3.4/12')).toMatchObject({ cidr: '10.96.0.0/12', size: 2 ** 20 });
    expect(() => parseIpv4Cidr('fd00::/108')).toThrow(RangeError);
  });
});

describe('service ClusterIP allocator', () => {
  it('allocates a unique address of the range to each Service, from the upper band', async () => {
    const { e, ips } = await env();
    const range = parseIpv4Cidr('10.96.0.0/12');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const s = await e.client.create(kinds.Service, svc(`web-${i}`));
      const ip = s.spec.clusterIP ?? '';
      expect(s.spec.clusterIPs).toEqual([ip]);
      const n = parseIpv4(ip) ?? 0;
      expect(n).toBeGreaterThanOrEqual(range.base + 1 + 256);
      expect(n).toBeLessThan(range.base + range.size - 1);
      seen.add(ip);
    }
    expect(seen.size).toBe(20);
    expect(ips.allocatedCount).toBe(20);
    await e.stop();
  });

  it('honours a requested address, and refuses one that is taken, out of range or not an IP', async () => {
    const { e, ips } = await env('10.0.0.0/24');
    const a = await e.client.create(kinds.Service, svc('a', { clusterIP: '10.0.0.10' }));
    expect(a.spec.clusterIP).toBe('10.0.0.10');
    expect(ips.ownerOf('10.0.0.10')).toBe('default/a');
    expect(await invalidMessage(e.client.create(kinds.Service, svc('b', { clusterIP: '10.0.0.10' })))).toBe(
      'spec.clusterIPs: Invalid value: ["10.0.0.10"]: failed to allocate IP 10.0.0.10: provided IP is already allocated',
    );
    expect(await invalidMessage(e.client.create(kinds.Service, svc('c', { clusterIP: '10.1.0.10' })))).toBe(
      'spec.clusterIPs: Invalid value: ["10.1.0.10"]: failed to allocate IP 10.1.0.10: provided IP (10.1.0.10) is not in the valid range. The range of valid IPs is 10.0.0.0/24',
    );
    expect(await invalidMessage(e.client.create(kinds.Service, svc('d', { clusterIP: '10.0.0.0' })))).toContain('not in the valid range');
    expect(await invalidMessage(e.client.create(kinds.Service, svc('f', { clusterIP: 'ten' })))).toContain('must be a valid IP address');
    await e.stop();
  });

  it('gives a headless Service no address and an ExternalName Service none either', async () => {
    const { e, ips } = await env();
    const headless = await e.client.create(kinds.Service, svc('db', { clusterIP: 'None' }));
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.clusterIPs).toEqual(['None']);
    const ext = await e.client.create(kinds.Service, { metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(ext.spec.clusterIP).toBeUndefined();
    expect(ips.allocatedCount).toBe(0);
    await e.stop();
  });

  it('keeps the address on update and refuses to change it', async () => {
    const { e } = await env();
    const a = await e.client.create(kinds.Service, svc('a'));
    const ip = a.spec.clusterIP;
    const updated = await e.client.update(kinds.Service, { metadata: { name: 'a', namespace: 'default' }, spec: { selector: { app: 'other' }, ports: [{ port: 81 }] } });
    expect(updated.spec.clusterIP).toBe(ip);
    expect(updated.spec.clusterIPs).toEqual([ip]);
    expect(await invalidMessage(e.client.patch(kinds.Service, { namespace: 'default', name: 'a' }, { spec: { clusterIP: '10.96.0.99' } }))).toContain(
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: may not change once set',
    );
    await e.stop();
  });

  it('releases the address when the Service is deleted', async () => {
    const { e, ips } = await env('10.0.0.0/24');
    await e.client.create(kinds.Service, svc('a', { clusterIP: '10.0.0.10' }));
    await e.client.delete(kinds.Service, { namespace: 'default', name: 'a' });
    await e.eventually(() => ips.ownerOf('10.0.0.10') === undefined);
    const b = await e.client.create(kinds.Service, svc('b', { clusterIP: '10.0.0.10' }));
    expect(b.spec.clusterIP).toBe('10.0.0.10');
    await e.stop();
  });

  it('does not reserve addresses for a dry run', async () => {
    const { e, ips } = await env('10.0.0.0/24');
    const dry = await e.client.create(kinds.Service, svc('a', { clusterIP: '10.0.0.10' }), { dryRun: true });
    expect(dry.spec.clusterIP).toBe('10.0.0.10');
    expect(ips.allocatedCount).toBe(0);
    await e.stop();
  });

  it('fills its table from the Services that exist before its first allocation', async () => {
    const clock = new FakeClock();
    const store = memoryStore();
    const before = createApiServer({ store, clock });
    await before.client.create(kinds.Service, svc('old', { clusterIP: '10.0.0.1' }));
    const api = createApiServer({ store, clock });
    const ips = serviceIPAllocator({ range: '10.0.0.0/29', client: api.client, clock });
    api.admission.add(ips);
    // Six usable addresses, one taken: five more Services fit, never on the taken one.
    const got = new Set<string>();
    for (let i = 0; i < 5; i++) got.add((await api.client.create(kinds.Service, svc(`s${i}`))).spec.clusterIP ?? '');
    expect(got.has('10.0.0.1')).toBe(false);
    expect(got.size).toBe(5);
    expect(await invalidMessage(api.client.create(kinds.Service, svc('full')))).toContain('range is full');
    await api.close();
    await before.close();
  });

  it('repairs the table from stored Services and reports what it found, as Kubernetes does', async () => {
    const e = await createTestEnv({ store: memoryStore() });
    // Services stored before any allocator existed.
    await e.client.create(kinds.Service, svc('inside', { clusterIP: '10.0.0.7' }));
    await e.client.create(kinds.Service, svc('outside', { clusterIP: '192.168.0.7' }));
    const ips = serviceIPAllocator({ range: '10.0.0.0/24' });
    const repair = setupServiceIPRepairController(e.manager, { allocator: ips });
    await e.start();
    await e.eventually(() => ips.ownerOf('10.0.0.7') === 'default/inside');
    const events = await e.eventually(async () => {
      const list = await e.client.list(kinds.Event, { namespace: 'default' });
      return list.items.length >= 2 ? list.items : undefined;
    });
    expect(events.map((ev) => [ev.reason, ev.message]).sort()).toEqual([
      ['ClusterIPNotAllocated', 'Cluster IP [IPv4]:10.0.0.7 is not allocated; repairing'],
      ['ClusterIPOutOfRange', 'Cluster IP [IPv4]:192.168.0.7 is not within the configured Service CIDR 10.0.0.0/24; please recreate service'],
    ]);
    // A leaked allocation (no Service holds it) goes after three passes.
    e.api.admission.add(ips);
    await expect(e.client.create(kinds.Service, { ...svc('nowhere', { clusterIP: '10.0.0.9' }), metadata: { name: 'nowhere', namespace: 'missing' } })).rejects.toThrow();
    expect(ips.ownerOf('10.0.0.9')).toBe('missing/nowhere');
    await repair.repairOnce();
    await repair.repairOnce();
    expect(ips.ownerOf('10.0.0.9')).toBe('missing/nowhere');
    await repair.repairOnce();
    expect(ips.ownerOf('10.0.0.9')).toBeUndefined();
    expect(ips.ownerOf('10.0.0.7')).toBe('default/inside');
    await e.stop();
  });
});
