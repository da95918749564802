import { describe, expect, it } from 'vitest';
import type { FieldCause } from '../errors.js';
import { Pod, podQOSClass, type Container, type PodSpec } from './index.js';
import { defaultPullPolicy } from './core/pod-spec.js';

type PodInput = Omit<Pod, 'apiVersion' | 'kind' | 'metadata' | 'spec' | 'status'> & {
  metadata?: Pod['metadata'];
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/** Parse, default and prepare a Pod as the API server does on create. */
function createPod(input: PodInput): Pod {
  const pod = Pod.schema.parse({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, ...input });
  Pod.strategy.applyDefaults?.(pod);
  Pod.strategy.prepareForCreate?.(pod);
  return pod;
}

const web = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'web', image: 'nginx:1.27', ...extra });
const fields = (causes: readonly FieldCause[]): string[] => causes.map((c) => c.field);
const validate = (pod: Pod, old?: Pod): FieldCause[] => Pod.strategy.validate?.(pod, old) ?? [];

describe('Pod defaults', () => {
  it('fills the PodSpec and container defaults', () => {
    const pod = createPod({ spec: { containers: [web({ ports: [{ containerPort: 80 }] })] } });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
    });
    expect(pod.spec.containers[0]).toEqual({
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      imagePullPolicy: 'IfNotPresent',
    });
  });

  it('keeps values that are set', () => {
    const pod = createPod({
      spec: {
        containers: [web({ imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' })],
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 5,
        enableServiceLinks: false,
      },
    });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 5, enableServiceLinks: false });
    expect(pod.spec.containers[0]).toMatchObject({ imagePullPolicy: 'Never', terminationMessagePolicy: 'FallbackToLogsOnError' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v2', 'IfNotPresent'],
    ['nginx@sha256:abcd', 'IfNotPresent'],
    ['nginx:latest@sha256:abcd', 'Always'],
    ['', 'IfNotPresent'],
  ])('pull policy of %j is %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('defaults the image pull policy of init and ephemeral containers too', () => {
    const pod = createPod({
      spec: {
        initContainers: [{ name: 'init', image: 'busybox' }],
        containers: [web()],
        ephemeralContainers: [{ name: 'debug', image: 'busybox:1.36' }],
      },
    });
    expect(pod.spec.initContainers?.[0]?.imagePullPolicy).toBe('Always');
    expect(pod.spec.ephemeralContainers?.[0]?.imagePullPolicy).toBe('IfNotPresent');
  });

  it('fills nested defaults inside optional objects: probes, HTTP GET, lifecycle hooks', () => {
    const pod = createPod({
      spec: {
        containers: [
          web({
            livenessProbe: { httpGet: { port: 8080 } },
            readinessProbe: { grpc: { port: 9000 }, periodSeconds: 3 },
            lifecycle: { preStop: { httpGet: { port: 'http', path: '/quit' } } },
          }),
        ],
      },
    });
    const c = pod.spec.containers[0];
    expect(c?.livenessProbe).toEqual({
      httpGet: { path: '/', port: 8080, scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c?.readinessProbe).toMatchObject({ grpc: { port: 9000, service: '' }, periodSeconds: 3, timeoutSeconds: 1 });
    expect(c?.lifecycle?.preStop?.httpGet).toEqual({ path: '/quit', port: 'http', scheme: 'HTTP' });
  });

  it('defaults requests to limits on Pods', () => {
    const pod = createPod({
      spec: { containers: [web({ resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '250m' } } })] },
    });
    expect(pod.spec.containers[0]?.resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '250m', memory: '1Gi' } });
  });

  it('defaults host ports with host networking', () => {
    const pod = createPod({ spec: { hostNetwork: true, containers: [web({ ports: [{ containerPort: 8080 }] })] } });
    expect(pod.spec.containers[0]?.ports?.[0]?.hostPort).toBe(8080);
  });

  it('defaults volumes: sources, modes, and a volume without a source becomes an emptyDir', () => {
    const pod = createPod({
      spec: {
        containers: [web()],
        volumes: [
          { name: 'scratch' },
          { name: 'conf', configMap: { name: 'settings' } },
          { name: 'creds', secret: { secretName: 'db' } },
          { name: 'host', hostPath: { path: '/var/log' } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
          { name: 'img', image: { reference: 'quay.io/crio/artifact:v2' } },
        ],
      },
    });
    expect(pod.spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'conf', configMap: { name: 'settings', defaultMode: 420 } },
      { name: 'creds', secret: { secretName: 'db', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }], defaultMode: 420 } },
      {
        name: 'info',
        downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }], defaultMode: 420 },
      },
      { name: 'img', image: { reference: 'quay.io/crio/artifact:v2', pullPolicy: 'IfNotPresent' } },
    ]);
  });

  it('defaults environment sources', () => {
    const pod = createPod({
      spec: {
        containers: [
          web({
            env: [
              { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'PASS', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
            ],
            envFrom: [{ configMapRef: { name: 'settings' } }],
          }),
        ],
      },
    });
    const c = pod.spec.containers[0];
    expect(c?.env?.[0]?.valueFrom?.fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'metadata.name' });
    expect(c?.envFrom).toEqual([{ configMapRef: { name: 'settings' } }]);
  });
});

describe('Pod on create', () => {
  it('starts Pending with its QoS class', () => {
    const pod = createPod({ spec: { containers: [web()] }, status: { phase: 'Running', podIP: '10.0.0.9' } });
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  const spec = (containers: Record<string, unknown>[], extra: Record<string, unknown> = {}): PodSpec =>
    createPod({ spec: { containers, ...extra } }).spec;

  it.each([
    ['no requests or limits', 'BestEffort', [web()]],
    ['requests equal to limits', 'Guaranteed', [web({ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } } })]],
    ['limits only (requests default to them)', 'Guaranteed', [web({ resources: { limits: { cpu: '500m', memory: '256Mi' } } })]],
    ['requests below limits', 'Burstable', [web({ resources: { requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } })]],
    ['a CPU limit only', 'Burstable', [web({ resources: { limits: { cpu: '1' } } })]],
    ['requests only', 'Burstable', [web({ resources: { requests: { memory: '64Mi' } } })]],
    ['one guaranteed and one best-effort container', 'Burstable', [web({ resources: { limits: { cpu: '1', memory: '1Gi' } } }), { name: 'side', image: 'busybox:1' }]],
    ['only extended resources', 'BestEffort', [web({ resources: { limits: { 'example.com/dongle': 3 } } })]],
  ] as const)('%s is %s', (_name, qos, containers) => {
    expect(podQOSClass(spec([...containers]))).toBe(qos);
  });

  it('counts init containers and pod-level resources', () => {
    expect(
      podQOSClass(spec([web({ resources: { limits: { cpu: '1', memory: '1Gi' } } })], { initContainers: [{ name: 'i', image: 'busybox:1' }] })),
    ).toBe('Burstable');
    expect(podQOSClass(spec([web()], { resources: { limits: { cpu: '1', memory: '1Gi' } } }))).toBe('Guaranteed');
    expect(podQOSClass(spec([web()], { resources: { requests: { cpu: '1' } } }))).toBe('Burstable');
  });
});

describe('Pod graceful deletion', () => {
  const bound = (extra: Record<string, unknown> = {}, status?: Record<string, unknown>): Pod =>
    createPod({ spec: { nodeName: 'node-1', containers: [web()], ...extra }, ...(status ? { status } : {}) });

  it('is immediate for a Pod not bound to a node', () => {
    expect(Pod.strategy.gracePeriodSeconds?.(createPod({ spec: { containers: [web()] } }), 30)).toBe(0);
  });

  it('uses the requested period, else the Pod’s', () => {
    expect(Pod.strategy.gracePeriodSeconds?.(bound(), undefined)).toBe(30);
    expect(Pod.strategy.gracePeriodSeconds?.(bound({ terminationGracePeriodSeconds: 120 }), undefined)).toBe(120);
    expect(Pod.strategy.gracePeriodSeconds?.(bound({ terminationGracePeriodSeconds: 120 }), 5)).toBe(5);
  });

  it('is immediate for a terminal Pod', () => {
    for (const phase of ['Succeeded', 'Failed']) {
      const pod = bound();
      pod.status = { phase: phase as 'Succeeded' };
      expect(Pod.strategy.gracePeriodSeconds?.(pod, 30)).toBe(0);
    }
  });
});

describe('Pod field selectors', () => {
  it('gives Kubernetes’ values, "" for what is not set', () => {
    const pod = createPod({ spec: { containers: [web()], serviceAccountName: 'builder' } });
    const get = (f: string): string | undefined => Pod.strategy.selectableFields?.[f]?.(pod);
    expect(get('spec.nodeName')).toBe('');
    expect(get('spec.restartPolicy')).toBe('Always');
    expect(get('spec.schedulerName')).toBe('default-scheduler');
    expect(get('spec.serviceAccountName')).toBe('builder');
    expect(get('spec.hostNetwork')).toBe('false');
    expect(get('status.phase')).toBe('Pending');
    expect(get('status.podIP')).toBe('');
    expect(get('status.nominatedNodeName')).toBe('');
    pod.spec.nodeName = 'node-1';
    pod.status = { phase: 'Running', podIP: '10.0.0.2', podIPs: [{ ip: '10.0.0.2' }], nominatedNodeName: 'node-2' };
    expect(get('spec.nodeName')).toBe('node-1');
    expect(get('status.phase')).toBe('Running');
    expect(get('status.podIP')).toBe('10.0.0.2');
    expect(get('status.nominatedNodeName')).toBe('node-2');
  });
});

describe('Pod validation', () => {
  it('accepts a good Pod', () => {
    expect(validate(createPod({ spec: { containers: [web({ ports: [{ name: 'http', containerPort: 80 }] })] } }))).toEqual([]);
  });

  it('needs at least one container', () => {
    const causes = validate(createPod({ spec: { containers: [] } }));
    expect(causes).toEqual([{ field: 'spec.containers', type: 'FieldValueRequired', message: 'Required value' }]);
  });

  it('needs unique DNS-label container names, across init containers too', () => {
    const causes = validate(
      createPod({ spec: { initContainers: [{ name: 'web', image: 'busybox:1' }], containers: [web(), { name: 'Side_Car', image: 'x:1' }] } }),
    );
    expect(causes).toContainEqual(expect.objectContaining({ field: 'spec.containers[0].name', type: 'FieldValueDuplicate', message: 'Duplicate value: "web"' }));
    expect(causes).toContainEqual(expect.objectContaining({ field: 'spec.containers[1].name', type: 'FieldValueInvalid' }));
  });

  it('needs an image', () => {
    expect(fields(validate(createPod({ spec: { containers: [{ name: 'web' }] } })))).toEqual(['spec.containers[0].image']);
  });

  it('checks port numbers and names', () => {
    const causes = validate(
      createPod({
        spec: {
          containers: [
            web({ ports: [{ containerPort: 0 }, { containerPort: 70000 }, { containerPort: 80, hostPort: 70000, name: 'Not_A_Port_Name' }] }),
          ],
        },
      }),
    );
    expect(fields(causes)).toEqual([
      'spec.containers[0].ports[0].containerPort',
      'spec.containers[0].ports[1].containerPort',
      'spec.containers[0].ports[2].hostPort',
      'spec.containers[0].ports[2].name',
    ]);
    expect(causes[0]).toEqual({
      field: 'spec.containers[0].ports[0].containerPort',
      type: 'FieldValueInvalid',
      message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
    });
  });

  it('needs volume mounts to name a volume, and volumes to be unique', () => {
    const causes = validate(
      createPod({
        spec: {
          containers: [web({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
          volumes: [{ name: 'cache', emptyDir: {} }, { name: 'cache', emptyDir: {} }],
        },
      }),
    );
    expect(causes).toContainEqual({ field: 'spec.containers[0].volumeMounts[0].name', type: 'FieldValueNotFound', message: 'Not found: "data"' });
    expect(causes).toContainEqual(expect.objectContaining({ field: 'spec.volumes[1].name', type: 'FieldValueDuplicate' }));
  });

  it('refuses more than one source per volume', () => {
    const causes = validate(createPod({ spec: { containers: [web()], volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/' } }] } }));
    // Kubernetes checks the sources in field order (hostPath before emptyDir) and names the later ones.
    expect(causes).toEqual([
      { field: 'spec.volumes[0].emptyDir', type: 'FieldValueForbidden', message: 'Forbidden: may not specify more than 1 volume type' },
    ]);
  });

  it('refuses requests above limits', () => {
    const causes = validate(createPod({ spec: { containers: [web({ resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } } })] } }));
    expect(causes).toEqual([
      {
        field: 'spec.containers[0].resources.requests',
        type: 'FieldValueInvalid',
        message: 'Invalid value: "2": must be less than or equal to cpu limit of 500m',
      },
    ]);
  });

  it('checks probes: one handler, success threshold 1 for liveness', () => {
    const causes = validate(
      createPod({
        spec: {
          containers: [web({ livenessProbe: { periodSeconds: 5, successThreshold: 2 }, readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } })],
        },
      }),
    );
    expect(fields(causes)).toEqual([
      'spec.containers[0].livenessProbe',
      'spec.containers[0].livenessProbe.successThreshold',
      'spec.containers[0].readinessProbe.tcpSocket',
    ]);
  });

  it('allows probes on sidecars only among init containers', () => {
    const probe = { exec: { command: ['true'] } };
    const causes = validate(
      createPod({
        spec: {
          initContainers: [
            { name: 'init', image: 'busybox:1', readinessProbe: probe },
            { name: 'sidecar', image: 'busybox:1', restartPolicy: 'Always', readinessProbe: probe },
          ],
          containers: [web()],
        },
      }),
    );
    expect(fields(causes)).toEqual(['spec.initContainers[0].readinessProbe']);
  });

  it('checks tolerations and DNS settings', () => {
    const causes = validate(
      createPod({
        spec: {
          containers: [web()],
          dnsPolicy: 'None',
          tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }, { operator: 'Equal', value: 'x' }, { key: 'k', tolerationSeconds: 10 }],
        },
      }),
    );
    expect(fields(causes)).toEqual(['spec.dnsConfig', 'spec.tolerations[0].operator', 'spec.tolerations[1].operator', 'spec.tolerations[2].effect']);
  });

  it('lets an update change images and set the node, but not the rest of the spec', () => {
    const old = createPod({ spec: { containers: [web()], tolerations: [{ key: 'a', operator: 'Exists' }] } });
    const next = structuredClone(old);
    (next.spec.containers[0] as Container).image = 'nginx:1.28';
    next.spec.nodeName = 'node-1';
    next.spec.tolerations = [...(next.spec.tolerations ?? []), { key: 'b', operator: 'Exists' }];
    expect(validate(next, old)).toEqual([]);

    const changed = structuredClone(old);
    (changed.spec.containers[0] as Container).env = [{ name: 'X', value: '1' }];
    expect(fields(validate(changed, old))).toEqual(['spec']);
    expect(validate(changed, old)[0]?.message).toMatch(/^Forbidden: pod updates may not change fields other than/);

    const dropped = structuredClone(old);
    dropped.spec.tolerations = [];
    expect(fields(validate(dropped, old))).toEqual(['spec.tolerations']);
  });
});
