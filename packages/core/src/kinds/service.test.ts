import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { Endpoints, Service } from './index.js';

function service(spec: Record<string, unknown>, status?: Record<string, unknown>): Service {
  const svc = Service.schema.parse({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec,
    ...(status ? { status } : {}),
  });
  Service.strategy.applyDefaults?.(svc);
  return svc;
}

const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);
const validate = (svc: Service): FieldCause[] => Service.strategy.validate?.(svc, undefined) ?? [];

describe('Service defaults', () => {
  it('defaults type, affinity, traffic policies, IP families and ports', () => {
    const svc = service({ selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] });
    expect(svc.spec).toEqual({
      selector: { app: 'web' },
      ports: [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 'metrics' },
      ],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('treats a zero or empty targetPort as unset', () => {
    const svc = service({ ports: [{ port: 80, targetPort: 0 }, { name: 'b', port: 81, targetPort: '' }] });
    expect(svc.spec.ports?.map((p) => p.targetPort)).toEqual([80, 81]);
  });

  it('defaults externally accessible Services', () => {
    expect(service({ type: 'NodePort', ports: [{ port: 80 }] }).spec.externalTrafficPolicy).toBe('Cluster');
    const lb = service({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } });
    expect(lb.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, internalTrafficPolicy: 'Cluster' });
    expect(lb.status?.loadBalancer?.ingress?.[0]?.ipMode).toBe('VIP');
    expect(service({ ports: [{ port: 80 }], externalIPs: ['198.51.100.1'] }).spec.externalTrafficPolicy).toBe('Cluster');
  });

  it('defaults ClientIP affinity’s timeout and drops the config with None', () => {
    expect(service({ ports: [{ port: 80 }], sessionAffinity: 'ClientIP' }).spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(service({ ports: [{ port: 80 }], sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }).spec.sessionAffinityConfig).toBeUndefined();
  });

  it('gives ExternalName Services no traffic policy or IP family', () => {
    const svc = service({ type: 'ExternalName', externalName: 'db.example.com' });
    expect(svc.spec.internalTrafficPolicy).toBeUndefined();
    expect(svc.spec.ipFamilyPolicy).toBeUndefined();
    expect(validate(svc)).toEqual([]);
  });

  it('keeps the IP family policy that is set', () => {
    const svc = service({ ports: [{ port: 80 }], ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] });
    expect(svc.spec).toMatchObject({ ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6', 'IPv4'] });
  });
});

describe('Service validation', () => {
  it('names Services with DNS-1035 labels', () => {
    expect(Service.strategy.validateName?.('web-1')).toEqual([]);
    expect(Service.strategy.validateName?.('1web')).toHaveLength(1);
  });

  it('needs names on ports when there is more than one, unique', () => {
    const causes = validate(service({ ports: [{ port: 80 }, { port: 443 }] }));
    expect(causes).toEqual([
      { field: 'spec.ports[0].name', type: 'FieldValueRequired', message: 'Required value' },
      { field: 'spec.ports[1].name', type: 'FieldValueRequired', message: 'Required value' },
    ]);
    const dup = validate(service({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 8080 }] }));
    expect(dup).toEqual([{ field: 'spec.ports[1].name', type: 'FieldValueDuplicate', message: 'Duplicate value: "http"' }]);
  });

  it('checks port numbers, target ports and node ports', () => {
    const causes = validate(
      service({ ports: [{ name: 'a', port: 0 }, { name: 'b', port: 80, targetPort: 70000 }, { name: 'c', port: 81, targetPort: 'Bad_Name', nodePort: 30000 }] }),
    );
    expect(fields(causes)).toEqual([
      'spec.ports[0].port',
      'spec.ports[0].targetPort',
      'spec.ports[1].targetPort',
      'spec.ports[2].targetPort',
      'spec.ports[2].nodePort',
    ]);
  });

  it('needs ports, except on headless and ExternalName Services', () => {
    expect(validate(service({ selector: { app: 'web' } }))).toEqual([{ field: 'spec.ports', type: 'FieldValueRequired', message: 'Required value' }]);
    expect(validate(service({ clusterIP: 'None', selector: { app: 'web' } }))).toEqual([]);
    expect(fields(validate(service({ type: 'ExternalName' })))).toEqual(['spec.externalName']);
  });

  it('checks the selector’s labels', () => {
    expect(fields(validate(service({ ports: [{ port: 80 }], selector: { 'bad key!': 'x' } })))).toEqual(['spec.selector']);
  });
});

describe('Endpoints', () => {
  const endpoints = (subsets: unknown[]): Endpoints =>
    Endpoints.schema.parse({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' }, subsets });

  it('is served as endpoints (ep) and defaults port protocols', () => {
    expect(Endpoints).toMatchObject({ plural: 'endpoints', singular: 'endpoints', shortNames: ['ep'] });
    const ep = endpoints([{ addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'web-1' } }], ports: [{ port: 8080 }] }]);
    expect(ep.subsets?.[0]?.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    expect(Endpoints.strategy.validate?.(ep, undefined)).toEqual([]);
  });

  it('needs port names when there are several, and valid ports', () => {
    const ep = endpoints([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }, { name: 'b', port: 0 }] }]);
    expect(fields(Endpoints.strategy.validate?.(ep, undefined) ?? [])).toEqual(['subsets[0].ports[0].name', 'subsets[0].ports[1].port']);
  });
});
