/**
 * `createControlPlane({ runtime: 'auto' })`: Docker when an engine answers, else local processes.
 * The fallback is tested with DOCKER_HOST pointing at a socket that does not exist; the Docker
 * side only where an engine answers (DOCKER_HOST, else /var/run/docker.sock).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kinds } from '@harbormaster/core';
import { checkDocker } from '@harbormaster/runtime-docker';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlPlane } from '../src/index.js';
import { waitFor } from '@harbormaster/core/testing';

const docker = await checkDocker({ timeoutMs: 1000 });

describe("createControlPlane({ runtime: 'auto' })", () => {
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, TMPDIR: process.env.TMPDIR };
  const dirs: string[] = [];

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('runs its node agent on local processes when no Docker Engine answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hm-auto-'));
    dirs.push(dir);
    process.env.DOCKER_HOST = `unix://${join(dir, 'no-docker-here.sock')}`;
    // The process runtime's default state directory is under os.tmpdir(): keep it in this test's.
    process.env.TMPDIR = dir;
    const cp = await createControlPlane({ runtime: 'auto', nodeAgent: { podSubnet: 219 } });
    try {
      expect(cp.runtime?.name).toBe('process');
      expect(cp.agent).toBeDefined();
      await cp.start();
      const node = await waitFor('the node registers', () => cp.client.get(kinds.Node, { name: 'local' }).catch(() => undefined));
      expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^process:\/\//);
    } finally {
      await cp.stop();
    }
  });

  // With REQUIRE_SERVICES=1 (CI) a missing engine fails this test instead of skipping it.
  it.skipIf(!docker.available && process.env.REQUIRE_SERVICES !== '1')('runs its node agent on Docker when an engine answers', async () => {
    const cp = await createControlPlane({ runtime: 'auto' });
    try {
      expect(cp.runtime?.name).toBe('docker');
    } finally {
      await cp.stop();
    }
  });
});
