/**
 * The conformance suite and Docker-specific checks, against a real Docker Engine (DOCKER_HOST,
 * else /var/run/docker.sock) with the image of scripts/build-test-image.sh. Without an engine or
 * the image the tests are skipped with the reason printed, unless REQUIRE_SERVICES=1 (CI), where
 * that is a failure.
 */
import { randomBytes } from 'node:crypto';
import { Container, ContainerStartError, type ContainerRuntime } from '@harbormaster/core';
import { containerRuntimeConformanceSuite } from '@harbormaster/core/testing';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDocker, isDockerAvailable } from './docker-available.js';
import { dockerRuntimeModule } from './docker-runtime-module.js';
import { dockerRuntime } from './docker-runtime.js';

const IMAGE = 'harbormaster/test-http:1';

const docker = await checkDocker({ image: IMAGE });
const missing = docker.available
  ? undefined
  : `${docker.reason ?? 'no reason given'} (${docker.endpoint}): start an engine and set DOCKER_HOST, then run scripts/build-test-image.sh`;

if (missing !== undefined) {
  if (process.env.REQUIRE_SERVICES === '1') {
    describe('runtime-docker', () => {
      it('has a Docker Engine and the test image (REQUIRE_SERVICES=1)', () => {
        throw new Error(`REQUIRE_SERVICES=1, but ${missing}`);
      });
    });
  } else {
    console.warn(`[runtime-docker] Docker tests skipped: ${missing}`);
  }
}

describe.skipIf(missing !== undefined)('dockerRuntime', () => {
  containerRuntimeConformanceSuite('dockerRuntime', () => dockerRuntime({ owner: 'conformance' }), { image: IMAGE });

  describe('Docker specifics', () => {
    const client = new Docker();
    const owner = `test-${randomBytes(3).toString('hex')}`;
    const runtime = dockerRuntime({ owner, docker: client });
    const name = (): string => `hm-docker-test-${owner}-${randomBytes(3).toString('hex')}`;
    const created: string[] = [];

    afterEach(async () => {
      for (const id of created.splice(0)) await runtime.removeContainer(id);
    });

    it('maps command/args to Entrypoint/Cmd, resources to NanoCpus/Memory/CpuShares, with host networking', async () => {
      const info = await runtime.createContainer({
        name: name(),
        image: IMAGE,
        command: ['sh', '-c'],
        args: ['sleep 60'],
        labels: { app: 'web' },
        podIP: '127.3.4.5',
        resources: { cpuLimit: 0.5, cpuRequest: 0.25, memoryLimit: 64 * 1024 * 1024 },
      });
      created.push(info.id);
      const raw = await client.getContainer(info.id).inspect();
      expect(raw.Config.Entrypoint).toEqual(['sh', '-c']);
      expect(raw.Config.Cmd).toEqual(['sleep 60']);
      expect(raw.Config.Env).toContain('POD_IP=127.3.4.5');
      expect(raw.HostConfig).toMatchObject({ NetworkMode: 'host', NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024, CpuShares: 256 });
      expect(raw.Config.Labels).toMatchObject({ app: 'web', 'io.harbormaster.runtime.owner': owner });
      // The image's own label stays out of the labels the runtime reports.
      expect(raw.Config.Labels['io.harbormaster.test-image.hash']).toBeDefined();
      expect(info.labels).toEqual({ app: 'web' });
      expect(info.imageId).toMatch(/^sha256:/);
    });

    it("keeps the image's entrypoint and command when neither command nor args is given, and gives best-effort containers 2 CPU shares", async () => {
      const info = await runtime.createContainer({ name: name(), image: IMAGE, labels: {} });
      created.push(info.id);
      const raw = await client.getContainer(info.id).inspect();
      expect(raw.Config.Cmd).toEqual(['/bin/test-http']);
      expect(raw.HostConfig.CpuShares).toBe(2);
    });

    it('reports a failed start as CRI runtimes do: exited, StartError, exit code 128, finished when the start failed', async () => {
      const info = await runtime.createContainer({ name: name(), image: IMAGE, command: ['/nonexistent/harbormaster-docker-test'], labels: {} });
      created.push(info.id);
      const before = Date.now();
      await expect(runtime.startContainer(info.id)).rejects.toBeInstanceOf(ContainerStartError);
      const after = Date.now();
      // Docker itself keeps the container `created`, with FinishedAt at its zero time.
      const raw = await client.getContainer(info.id).inspect();
      expect(raw.State).toMatchObject({ Status: 'created', FinishedAt: '0001-01-01T00:00:00Z' });
      const failed = await runtime.inspectContainer(info.id);
      expect(failed).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError' });
      expect(failed?.startedAt).toBeUndefined();
      expect(failed?.finishedAt).toBeGreaterThanOrEqual(before);
      expect(failed?.finishedAt).toBeLessThanOrEqual(after);
      // Another instance (an agent after a restart) did not see the start: it reports the creation time.
      const fresh = dockerRuntime({ owner, docker: client });
      expect(await fresh.inspectContainer(info.id)).toMatchObject({ state: 'exited', exitCode: 128, reason: 'StartError', finishedAt: info.createdAt });
    });

    it("sees only its owner's containers", async () => {
      const info = await runtime.createContainer({ name: name(), image: IMAGE, labels: { app: 'owned' } });
      created.push(info.id);
      const other = dockerRuntime({ owner: `${owner}-other` });
      expect(await other.inspectContainer(info.id)).toBeUndefined();
      expect(await other.listContainers({ labels: { app: 'owned' } })).toEqual([]);
      expect((await runtime.listContainers({ labels: { app: 'owned' } })).map((c) => c.id)).toEqual([info.id]);
    });

    it('dockerRuntimeModule binds the runtime to the ContainerRuntime token', async () => {
      const container = new Container();
      container.loadSync(dockerRuntimeModule({ owner }));
      const bound = container.get<ContainerRuntime>(Symbol.for('harbormaster.ContainerRuntime'));
      expect(bound.name).toBe('docker');
      expect(await bound.version()).toMatch(/\d/);
      await container.unbindAll();
    });
  });
});

describe('isDockerAvailable', () => {
  it('is false, with the reason, for a socket where no engine listens', async () => {
    expect(await isDockerAvailable({ socketPath: '/nonexistent/docker.sock', timeoutMs: 1000 })).toBe(false);
    const check = await checkDocker({ socketPath: '/nonexistent/docker.sock', timeoutMs: 1000 });
    expect(check).toMatchObject({ available: false, endpoint: '/nonexistent/docker.sock' });
    expect(check.reason).toMatch(/ENOENT|nonexistent/);
  });

  it.skipIf(missing !== undefined)('is false, with the reason, for an engine without the image asked for', async () => {
    expect(await checkDocker({ image: IMAGE })).toMatchObject({ available: true });
    expect(await checkDocker({ image: 'harbormaster.invalid/absent:0' })).toMatchObject({
      available: false,
      reason: 'the image harbormaster.invalid/absent:0 is not on the engine',
    });
  });
});
