import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { EndpointSlice, Event, Lease, Namespace, Node } from './index.js';

const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);

describe('Namespace', () => {
  const create = (input: Record<string, unknown> = {}): Namespace => {
    const ns = Namespace.schema.parse({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' }, ...input });
    Namespace.strategy.applyDefaults?.(ns);
    Namespace.strategy.prepareForCreate?.(ns);
    return ns;
  };

  it('is cluster-scoped (ns) with a status subresource', () => {
    expect(Namespace).toMatchObject({ apiVersion: 'v1', plural: 'namespaces', shortNames: ['ns'], namespaced: false, subresources: { status: true } });
  });

  it('starts Active with the kubernetes finalizer and its name label', () => {
    const ns = create({ status: { phase: 'Terminating' }, spec: { finalizers: ['example.com/cleanup'] } });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.spec.finalizers).toEqual(['example.com/cleanup', 'kubernetes']);
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(Namespace.strategy.validate?.(ns, undefined)).toEqual([]);
  });

  it('defaults its status phase to Active whenever it is parsed', () => {
    const ns = Namespace.schema.parse({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, status: {} });
    expect(ns.status.phase).toBe('Active');
    expect(ns.spec).toEqual({});
  });

  it('names namespaces with DNS-1123 labels', () => {
    expect(Namespace.strategy.validateName?.('team-a')).toEqual([]);
    expect(Namespace.strategy.validateName?.('team.a')).toHaveLength(1);
  });

  it('terminates until its spec.finalizers are gone', () => {
    const ns = create();
    expect(Namespace.strategy.pendingDeletion?.(ns)).toBe(true);
    Namespace.strategy.prepareForDeletion?.(ns);
    expect(ns.status.phase).toBe('Terminating');
    expect(Namespace.strategy.selectableFields?.['status.phase']?.(ns)).toBe('Terminating');
    ns.spec.finalizers = [];
    expect(Namespace.strategy.pendingDeletion?.(ns)).toBe(false);
  });

  it('checks finalizer names', () => {
    const ns = create({ spec: { finalizers: ['cleanup', 'Bad Name'] } });
    expect(fields(Namespace.strategy.validate?.(ns, undefined) ?? [])).toEqual(['spec.finalizers[0]', 'spec.finalizers[1]']);
  });
});

describe('Node', () => {
  const node = (input: Record<string, unknown> = {}): Node => {
    const n = Node.schema.parse({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, ...input });
    Node.strategy.applyDefaults?.(n);
    return n;
  };

  it('is cluster-scoped (no), keeps its status on create', () => {
    expect(Node).toMatchObject({ plural: 'nodes', shortNames: ['no'], namespaced: false, subresources: { status: true } });
    expect(Node.strategy.keepStatusOnCreate).toBe(true);
  });

  it('defaults allocatable to capacity and fills node info', () => {
    const n = node({
      status: {
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
        nodeInfo: { kubeletVersion: 'v1.33.0', architecture: 'amd64' },
        conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: null }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    });
    expect(n.status?.allocatable).toEqual({ cpu: '4', memory: '16Gi', pods: '110' });
    expect(n.status?.nodeInfo).toMatchObject({ kubeletVersion: 'v1.33.0', architecture: 'amd64', machineID: '', osImage: '' });
    expect(n.spec).toEqual({});
  });

  it('selects on spec.unschedulable', () => {
    const get = Node.strategy.selectableFields?.['spec.unschedulable'];
    expect(get?.(node())).toBe('false');
    expect(get?.(node({ spec: { unschedulable: true } }))).toBe('true');
  });

  it('checks taints', () => {
    const n = node({ spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'dedicated', effect: 'NoSchedule' }, { key: 'bad key', effect: 'NoExecute' }] } });
    expect(fields(Node.strategy.validate?.(n, undefined) ?? [])).toEqual(['spec.taints[2].key', 'spec.taints[1]']);
  });
});

describe('Event', () => {
  const event = (input: Record<string, unknown> = {}): Event =>
    Event.schema.parse({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.17f1a', namespace: 'default' },
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u-1', apiVersion: 'v1', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled',
      message: 'Container image pulled',
      source: { component: 'kubelet', host: 'node-1' },
      type: 'Normal',
      count: 1,
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
      eventTime: null,
      reportingComponent: '',
      reportingInstance: '',
      ...input,
    });

  it('is namespaced (ev) and accepts kubectl’s nulls', () => {
    expect(Event).toMatchObject({ plural: 'events', shortNames: ['ev'], namespaced: true });
    expect(Event.strategy.validate?.(event(), undefined)).toEqual([]);
  });

  it('selects on the involved object, reason, source and type', () => {
    const ev = event();
    const get = (f: string): string | undefined => Event.strategy.selectableFields?.[f]?.(ev);
    expect(get('involvedObject.kind')).toBe('Pod');
    expect(get('involvedObject.name')).toBe('web-1');
    expect(get('involvedObject.namespace')).toBe('default');
    expect(get('involvedObject.uid')).toBe('u-1');
    expect(get('involvedObject.apiVersion')).toBe('v1');
    expect(get('involvedObject.resourceVersion')).toBe('');
    expect(get('involvedObject.fieldPath')).toBe('spec.containers{web}');
    expect(get('reason')).toBe('Pulled');
    expect(get('source')).toBe('kubelet');
    expect(get('reportingComponent')).toBe('');
    expect(get('type')).toBe('Normal');
  });

  it('needs the involved object’s namespace to match', () => {
    const ev = event({ involvedObject: { kind: 'Pod', namespace: 'other', name: 'web-1' } });
    expect(Event.strategy.validate?.(ev, undefined)).toEqual([
      { field: 'involvedObject.namespace', type: 'FieldValueInvalid', message: 'Invalid value: "other": does not match event.namespace' },
    ]);
    const clusterScoped = event({ involvedObject: { kind: 'Node', name: 'node-1' } });
    expect(Event.strategy.validate?.(clusterScoped, undefined)).toEqual([]);
  });

  it('needs the reporting controller for new-style events', () => {
    const ev = event({ eventTime: '2026-01-01T00:00:00.000000Z' });
    expect(fields(Event.strategy.validate?.(ev, undefined) ?? [])).toEqual(['reportingComponent', 'reportingInstance']);
  });

  it('allows any path-segment name', () => {
    expect(Event.strategy.validateName?.('Web-1.17F1A')).toEqual([]);
    expect(Event.strategy.validateName?.('a/b')).toHaveLength(1);
  });
});

describe('Lease', () => {
  it('has no defaults and checks durations', () => {
    expect(Lease).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', plural: 'leases', shortNames: [] });
    const lease = Lease.schema.parse({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'node-1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
    });
    expect(lease.spec).toEqual({ holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' });
    expect(Lease.strategy.validate?.(lease, undefined)).toEqual([]);
    expect(fields(Lease.strategy.validate?.({ ...lease, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } }, undefined) ?? [])).toEqual([
      'spec.leaseDurationSeconds',
      'spec.leaseTransitions',
    ]);
  });
});

describe('EndpointSlice', () => {
  const slice = (input: Record<string, unknown>): EndpointSlice =>
    EndpointSlice.schema.parse({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ...input,
    });

  it('defaults port names and protocols and accepts null lists', () => {
    expect(EndpointSlice).toMatchObject({ plural: 'endpointslices', shortNames: [] });
    const s = slice({
      endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true }, nodeName: 'node-1', targetRef: { kind: 'Pod', name: 'web-1' } }],
      ports: [{ port: 8080 }],
    });
    expect(s.ports).toEqual([{ name: '', protocol: 'TCP', port: 8080 }]);
    expect(EndpointSlice.strategy.validate?.(s, undefined)).toEqual([]);
    expect(slice({ endpoints: null, ports: null }).endpoints).toBeNull();
  });

  it('checks addresses and port names', () => {
    const s = slice({ endpoints: [{ addresses: [] }], ports: [{ name: 'http', port: 80 }, { name: 'http', port: 0 }] });
    expect(fields(EndpointSlice.strategy.validate?.(s, undefined) ?? [])).toEqual(['endpoints[0].addresses', 'ports[1].port', 'ports[1].name']);
  });
});
