/**
 * The seed article's manifests (examples/manifests, copies of the shared ones) load unchanged through the kinds, with
 * Kubernetes' defaults filled in.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import * as kinds from './index.js';
import type { AnyKind } from './kind.js';

const manifestsDir = fileURLToPath(new URL('../../../../examples/manifests/', import.meta.url));

const byType = new Map<string, AnyKind>(
  Object.values(kinds)
    .filter((v): v is AnyKind => typeof v === 'object' && v !== null && 'schema' in v && 'strategy' in v && 'plural' in v)
    .map((k) => [`${k.apiVersion}/${k.kind}`, k]),
);

/** Parse, default, prepare and validate as the API server does on create. */
function admit(input: Record<string, unknown>): { kind: AnyKind; obj: Record<string, unknown> } {
  const kind = byType.get(`${String(input['apiVersion'])}/${String(input['kind'])}`);
  if (!kind) throw new Error(`no kind for ${String(input['apiVersion'])} ${String(input['kind'])}`);
  const obj = kind.schema.parse(structuredClone(input)) as Record<string, unknown>;
  kind.strategy.applyDefaults?.(obj);
  kind.strategy.prepareForCreate?.(obj);
  expect(kind.strategy.validate?.(obj, undefined) ?? []).toEqual([]);
  return { kind, obj };
}

function load(file: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(`${manifestsDir}${file}`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
}

/** Every field of `expected` appears in `actual` with the same value (the input survives parsing). */
function expectContains(actual: unknown, expected: unknown, path = ''): void {
  if (expected !== null && typeof expected === 'object') {
    expect(actual, path).toBeTypeOf('object');
    for (const [k, v] of Object.entries(expected)) expectContains((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

const files = readdirSync(manifestsDir).filter((f) => f.endsWith('.yaml'));

describe('shared/manifests', () => {
  it('has the manifests', () => {
    expect(files).toEqual(expect.arrayContaining(['storefront.yaml', 'payments-api.yaml', 'storefront-hpa.yaml']));
  });

  it.each(files)('%s validates unchanged through its kinds', (file) => {
    for (const doc of load(file)) {
      const { obj } = admit(doc);
      expectContains(obj, doc);
    }
  });

  it('defaults the storefront Deployment and Service as Kubernetes does', () => {
    const [deploy, svc] = load('storefront.yaml').map((d) => admit(d).obj) as unknown as [kinds.Deployment, kinds.Service];
    expect(deploy.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(deploy.spec.revisionHistoryLimit).toBe(10);
    expect(deploy.spec.progressDeadlineSeconds).toBe(600);
    const podSpec = deploy.spec.template.spec;
    expect(podSpec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
    });
    expect(podSpec.enableServiceLinks).toBeUndefined(); // a Pod default, not a template one
    expect(podSpec.containers[0]).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      resources: {},
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    expect(svc.spec.ports).toEqual([{ port: 80, targetPort: 8080, protocol: 'TCP' }]);
    expect(svc.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    expect(svc.spec.externalTrafficPolicy).toBeUndefined();
  });

  it('defaults the payments-api readiness probe and keeps its quantities', () => {
    const [deploy] = load('payments-api.yaml').map((d) => admit(d).obj) as unknown as [kinds.Deployment];
    const c = deploy.spec.template.spec.containers[0];
    expect(c?.readinessProbe).toEqual({
      httpGet: { path: '/actuator/health/readiness', port: 8080, scheme: 'HTTP' },
      initialDelaySeconds: 15,
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c?.resources).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  });

  it('defaults the storefront HPA', () => {
    const [hpa] = load('storefront-hpa.yaml').map((d) => admit(d).obj) as unknown as [kinds.HorizontalPodAutoscaler];
    expect(hpa.spec.minReplicas).toBe(3);
    expect(hpa.spec.metrics).toHaveLength(1);
    expect(hpa.spec.behavior).toBeUndefined();
  });
});
