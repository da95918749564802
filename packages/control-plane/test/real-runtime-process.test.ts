/**
 * The node agent on the process runtime (containers as local processes): the scenarios of
 * ./support/node-agent-scenarios.ts, with `harbormaster/test-http:1` mapped to the runtime-process
 * test fixture (the test-http protocol in Node), wrapped to add `/cgi-bin/heal`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processRuntime } from '@harbormaster/runtime-process';
import { afterAll, describe } from 'vitest';
import { httpGet, nodeAgentScenarios } from './support/node-agent-scenarios.js';

const IMAGE = 'harbormaster/test-http:1';
const fixture = fileURLToPath(new URL('../../runtime-process/test/fixtures/test-http.mjs', import.meta.url));
const healable = fileURLToPath(new URL('./support/test-http-healable.mjs', import.meta.url));
const images = { [IMAGE]: { command: [process.execPath, healable, fixture] } };
const stateDir = mkdtempSync(join(tmpdir(), 'hm-cp-process-'));

afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('control plane on local processes', () => {
  nodeAgentScenarios({
    name: 'process',
    runtime: () => processRuntime({ stateDir, images }),
    image: IMAGE,
    absentImage: 'acme/not-in-the-image-map:1',
    firstPodSubnet: 221,
    sharesHostFilesystem: true,
    async heal({ podIP }) {
      const response = await httpGet(`http://${podIP}:8080/cgi-bin/heal`);
      if (response?.status !== 200) throw new Error(`could not heal the server on ${podIP}: ${JSON.stringify(response)}`);
    },
  });
});
