import * as promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { controller } from '../controller/builder.js';
import * as kinds from '../kinds/index.js';
import { createTestEnv } from '../testing/test-env.js';
import { prometheusMetrics } from './metrics.js';
import { jsonLogger } from './logger.js';

describe('metrics and logs of the machinery', () => {
  it('records reconcile totals, errors, durations and queue figures in prom-client, and logs with the object key', async () => {
    const registry = new promClient.Registry();
    const lines: Record<string, unknown>[] = [];
    const env = await createTestEnv({
      store: memoryStore(),
      manager: {
        metrics: prometheusMetrics({ promClient, registry }),
        logger: jsonLogger({ level: 'warn', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
      },
    });
    let failures = 2;
    controller(env.manager)
      .named('configmaps')
      .for(kinds.ConfigMap)
      .complete(async () => {
        if (failures-- > 0) throw new Error('transient');
        return undefined;
      });
    await env.start();
    await env.client.create(kinds.ConfigMap, { metadata: { name: 'x', namespace: 'default' } });
    await env.eventually(() => failures < 0);
    const text = await registry.metrics();
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="configmaps",result="error"\} 2/);
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="configmaps",result="success"\} 1/);
    expect(text).toMatch(/controller_runtime_reconcile_errors_total\{controller="configmaps"\} 2/);
    expect(text).toMatch(/controller_runtime_reconcile_time_seconds_count\{controller="configmaps"\} 3/);
    expect(text).toMatch(/workqueue_adds_total\{name="configmaps"\} [3-9]/);
    expect(text).toMatch(/workqueue_retries_total\{name="configmaps"\} 2/);
    expect(text).toMatch(/workqueue_depth\{name="configmaps"\} 0/);
    expect(text).toMatch(/workqueue_queue_duration_seconds_count\{name="configmaps"\} 3/);
    const failure = lines.find((l) => l['msg'] === 'reconcile failed; retrying with back-off');
    expect(failure).toMatchObject({ level: 'warn', controller: 'configmaps', key: 'default/x', namespace: 'default', name: 'x', err: { message: 'transient' } });
    await env.stop();
  });
});
