import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { isNotFound } from '../errors.js';
import * as kinds from '../kinds/index.js';
import { createTestEnv } from '../testing/test-env.js';
import { controller } from './builder.js';
import { withFinalizer } from './finalizer.js';

describe('withFinalizer', () => {
  it('adds the finalizer, applies, cleans up once on deletion, then lets the object go', async () => {
    const env = await createTestEnv({ store: memoryStore() });
    const log: string[] = [];
    let failCleanup = 2;
    let cleanupCalls = 0;
    controller(env.manager)
      .for(kinds.ConfigMap)
      .complete(async (req, ctx) => {
        const cm = await ctx.cache.get(kinds.ConfigMap, req);
        if (cm === undefined) return;
        return withFinalizer(ctx, kinds.ConfigMap, cm, {
          finalizer: 'example.com/cleanup',
          apply: async (o) => {
            log.push(`apply ${o.metadata.name ?? ''}`);
            return undefined;
          },
          cleanup: async (o) => {
            cleanupCalls++;
            if (failCleanup-- > 0) throw new Error('remote system unavailable');
            log.push(`cleanup ${o.metadata.name ?? ''}`);
          },
        });
      });
    await env.start();
    await env.client.create(kinds.ConfigMap, { metadata: { name: 'site', finalizers: ['other.io/keep'] } });
    await env.eventually(() => log.includes('apply site'));
    const live = await env.client.get(kinds.ConfigMap, { name: 'site' });
    expect(live.metadata.finalizers).toEqual(['other.io/keep', 'example.com/cleanup']);

    await env.client.delete(kinds.ConfigMap, { name: 'site' });
    await env.eventually(() => log.includes('cleanup site'));
    // The object stays (another finalizer holds it) and is reconciled again; cleanup must not run again.
    await env.client.patch(kinds.ConfigMap, { name: 'site' }, { metadata: { labels: { touched: 'yes' } } });
    await env.clock.advance(10 * 60_000);
    // Cleanup failed twice (retried with back-off) and succeeded once; our finalizer is gone, the other stays.
    expect(log.filter((l) => l.startsWith('cleanup'))).toEqual(['cleanup site']);
    expect(cleanupCalls).toBe(3);
    const terminating = await env.client.get(kinds.ConfigMap, { name: 'site' });
    expect(terminating.metadata.finalizers).toEqual(['other.io/keep']);
    expect(terminating.metadata.deletionTimestamp).toBeDefined();
    await env.client.patch(kinds.ConfigMap, { name: 'site' }, { metadata: { finalizers: null } });
    const gone = await env.client.get(kinds.ConfigMap, { name: 'site' }).catch((e: unknown) => e);
    expect(isNotFound(gone)).toBe(true);
    await env.clock.advance(60_000);
    expect(cleanupCalls).toBe(3);
    expect(log.filter((l) => l.startsWith('apply'))).toEqual(['apply site']);
    await env.stop();
  });
});
