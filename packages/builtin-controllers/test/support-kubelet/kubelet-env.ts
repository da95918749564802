/**
 * A node agent on the fake runtime and the fake clock, for the kubelet tests: {@link setup} makes
 * one (stopped again after each test), {@link FakeProber} answers its probes and HTTP hooks.
 */
import { afterEach } from 'vitest';
import { kinds, type Client, type InputOf } from '@harbormaster/core';
import { createTestEnv, type TestEnv } from '@harbormaster/core/testing';
import { memoryStore } from '@harbormaster/store-memory';
import { nodeAgent, type NodeAgent, type NodeAgentOptions } from '../../src/kubelet/node-agent.js';
import type { Prober, ProbeOutcome } from '../../src/kubelet/probes.js';
import { FakeRuntime } from './fake-runtime.js';

/**
 * A prober whose answers the test sets per URL or host:port; unknown targets fail without an
 * answer (as a refused connection). An HTTP status set in `statuses` is an answer.
 */
export class FakeProber implements Prober {
  readonly answers = new Map<string, boolean>();
  /** HTTP status codes by URL (200–399 succeed, others fail, but all are answers). */
  readonly statuses = new Map<string, number>();
  readonly asked: string[] = [];
  /** Every probe with when and its timeout. */
  readonly log: { target: string; at: number; timeoutMs: number }[] = [];

  constructor(private readonly now: () => number = () => 0) {}

  async http(url: string, options: { timeoutMs: number }): Promise<ProbeOutcome> {
    this.asked.push(url);
    this.log.push({ target: url, at: this.now(), timeoutMs: options.timeoutMs });
    const status = this.statuses.get(url);
    if (status !== undefined) return status >= 200 && status < 400 ? { success: true, statusCode: status } : { success: false, statusCode: status, message: `HTTP probe failed with statuscode: ${status}` };
    return this.answers.get(url) === true ? { success: true, statusCode: 200 } : { success: false, message: `Get "${url}": dial tcp: connect: connection refused` };
  }

  async tcp(host: string, port: number, options: { timeoutMs: number }): Promise<ProbeOutcome> {
    const target = `${host}:${port}`;
    this.asked.push(target);
    this.log.push({ target, at: this.now(), timeoutMs: options.timeoutMs });
    return this.answers.get(target) === true ? { success: true } : { success: false, message: 'refused' };
  }

  /** When `target` was probed. */
  timesOf(target: string): number[] {
    return this.log.filter((l) => l.target === target).map((l) => l.at);
  }
}

export interface Setup {
  env: TestEnv;
  runtime: FakeRuntime;
  prober: FakeProber;
  client: Client;
  agent: NodeAgent;
}

let current: Setup | undefined;
afterEach(async () => {
  await current?.env.stop();
  current = undefined;
});

/** A started test environment with a node agent `node-1` on a fake runtime that knows `acme/web:1`. */
export async function setup(options: { start?: boolean; agent?: Partial<Omit<NodeAgentOptions, 'runtime' | 'prober' | 'nodeName'>> } = {}): Promise<Setup> {
  const env = await createTestEnv({ store: memoryStore() });
  const runtime = new FakeRuntime(env.clock);
  runtime.images.set('acme/web:1', {});
  const prober = new FakeProber(() => env.clock.now());
  const agent = nodeAgent(env.manager, { nodeName: 'node-1', runtime, prober, podSubnet: 7, ...options.agent });
  env.manager.add(agent);
  if (options.start !== false) await env.start();
  current = { env, runtime, prober, client: env.client, agent };
  return current;
}

/** Stop this environment with the others after the test. */
export function adopt(s: Setup): void {
  current = s;
}

export type PodSpecInput = NonNullable<InputOf<typeof kinds.Pod>['spec']>;

/** A pod bound to node-1, with one container `web` of `acme/web:1` unless `spec` says otherwise. */
export const pod = (name: string, spec: Partial<PodSpecInput> = {}) => ({
  metadata: { name, namespace: 'default', labels: { app: name } },
  spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'acme/web:1' }], ...spec },
});

export const getPod = (client: Client, name: string) => client.get(kinds.Pod, { namespace: 'default', name });

/** `reason: message` of the events about a pod, oldest first. */
export async function eventsOf(client: Client, name: string): Promise<string[]> {
  return (await client.list(kinds.Event)).items
    .filter((e) => e.involvedObject.name === name)
    .sort((a, b) => (a.firstTimestamp ?? '').localeCompare(b.firstTimestamp ?? ''))
    .map((e) => `${e.reason ?? ''}: ${e.message ?? ''}`);
}

/** A pod's condition of `type`. */
export function conditionOf(p: kinds.Pod, type: string): kinds.PodCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}
