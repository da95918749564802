import { describe, expect, it } from 'vitest';
import { Container, ContainerModule } from 'inversify';
import { z } from 'zod';
import { memoryStore } from '@harbormaster/store-memory';
import { controller } from '../controller/builder.js';
import { defineKind } from '../kinds/kind.js';
import * as kinds from '../kinds/index.js';
import { objectMetaSchema } from '../meta/object-meta.js';
import { eventually } from '../testing/eventually.js';
import { FakeClock } from '../testing/fake-clock.js';
import { coreModule } from './core-module.js';
import { TOKENS } from './tokens.js';

const Greeting = defineKind({
  group: 'example.com',
  version: 'v1',
  kind: 'Greeting',
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('example.com/v1'),
    kind: z.literal('Greeting'),
    metadata: objectMetaSchema,
    spec: z.strictObject({ text: z.string() }),
  }),
});

describe('coreModule', () => {
  it('wires store, kinds, admission and controllers from the container into a running manager', async () => {
    const clock = new FakeClock();
    const container = new Container();
    container.loadSync(
      new ContainerModule(({ bind }) => {
        bind(TOKENS.Store).toConstantValue(memoryStore());
        bind(TOKENS.Clock).toConstantValue(clock);
      }),
      coreModule(),
      new ContainerModule(({ bind }) => {
        bind(TOKENS.Kind).toConstantValue(Greeting);
        bind(TOKENS.AdmissionPlugin).toConstantValue({
          name: 'Shout',
          mutate: (req) => {
            if (req.kind.kind === 'Greeting') (req.object as unknown as { spec: { text: string } }).spec.text = (req.object as unknown as { spec: { text: string } }).spec.text.toUpperCase();
          },
        });
        bind(TOKENS.ControllerSetup).toConstantValue((m) =>
          controller(m)
            .for(Greeting)
            .owns(kinds.ConfigMap)
            .complete(async (req, ctx) => {
              const g = await ctx.cache.get(Greeting, req);
              if (!g) return;
              await ctx.client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.metadata.name ?? '', namespace: g.metadata.namespace ?? '' }, data: { text: g.spec.text } });
            }),
        );
      }),
    );
    const manager = container.get(TOKENS.Manager);
    expect(container.get(TOKENS.Manager)).toBe(manager);
    const client = container.get(TOKENS.Client);
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await client.create(Greeting, { metadata: { name: 'hi' }, spec: { text: 'hello' } });
    const cm = await eventually(() => client.get(kinds.ConfigMap, { name: 'hi' }).catch(() => undefined), { clock });
    expect(cm.data).toEqual({ text: 'HELLO' });
    stop.abort();
    await running;
  });

  it('needs a store', () => {
    const container = new Container();
    container.loadSync(coreModule());
    expect(() => container.get(TOKENS.ApiServer)).toThrow();
  });
});
