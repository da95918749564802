/**
 * The node agent on a real Docker Engine (DOCKER_HOST, else /var/run/docker.sock) with the image
 * of scripts/build-test-image.sh: the scenarios of ./support/node-agent-scenarios.ts. Without an
 * engine or the image the tests are skipped with the reason printed, unless REQUIRE_SERVICES=1
 * (CI), where that is a failure.
 */
import { randomBytes } from 'node:crypto';
import { checkDocker, dockerRuntime } from '@harbormaster/runtime-docker';
import { describe, it } from 'vitest';
import { nodeAgentScenarios } from './support/node-agent-scenarios.js';

const IMAGE = 'harbormaster/test-http:1';

const docker = await checkDocker({ image: IMAGE });
const missing = docker.available
  ? undefined
  : `${docker.reason ?? 'no reason given'} (${docker.endpoint}): start an engine and set DOCKER_HOST, then run scripts/build-test-image.sh`;

if (missing !== undefined) {
  if (process.env.REQUIRE_SERVICES === '1') {
    describe('node agent on the docker runtime', () => {
      it('has a Docker Engine and the test image (REQUIRE_SERVICES=1)', () => {
        throw new Error(`REQUIRE_SERVICES=1, but ${missing}`);
      });
    });
  } else {
    console.warn(`[control-plane] node agent tests on Docker skipped: ${missing}`);
  }
}

// This run's containers only: other runs and other tests on the engine have owners of their own.
const owner = `cp-test-${randomBytes(3).toString('hex')}`;

describe.skipIf(missing !== undefined)('control plane on Docker', () => {
  nodeAgentScenarios({
    name: 'docker',
    runtime: () => dockerRuntime({ owner }),
    image: IMAGE,
    // An image that exists nowhere; the .invalid registry never resolves, so the pull fails at once.
    absentImage: 'harbormaster.invalid/test-http:absent',
    firstPodSubnet: 201,
    // The inverse of the image's /cgi-bin/fail (which removes the file /healthz serves).
    async heal({ runtime, containerId }) {
      const result = await runtime.exec(containerId, ['sh', '-c', 'echo ok >/tmp/test-http-www/healthz'], { timeoutMs: 10_000 });
      if (result.exitCode !== 0) throw new Error(`could not heal ${containerId}: ${result.stderr}`);
    },
  });
});
