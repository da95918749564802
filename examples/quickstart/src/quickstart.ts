import { filter, firstValueFrom } from 'rxjs';
import { controller, createApiServer, createManager, kinds } from '@harbormaster/core';
import { memoryStore } from '@harbormaster/store-memory';

// An API server with Kubernetes' semantics, in this process, on an in-memory store.
const api = createApiServer({ store: memoryStore() });

// Your YAML, unchanged.
await api.client.apply(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  text: hello
`);

// A controller: for every ConfigMap with a "text" key, keep an upper-case copy that it owns.
const manager = createManager({ api });
controller(manager)
  .for(kinds.ConfigMap)
  .complete(async (request, ctx) => {
    const cm = await ctx.cache.get(kinds.ConfigMap, request);
    const text = cm?.data?.['text'];
    if (cm === undefined || text === undefined || request.name.endsWith('-loud')) return;
    await ctx.client.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${request.name}-loud`,
        namespace: request.namespace,
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: request.name, uid: cm.metadata.uid ?? '', controller: true }],
      },
      data: { text: text.toUpperCase() },
    });
  });

const stop = new AbortController();
const running = manager.start(stop.signal);

// Watch for the controller's work, typed.
const event = await firstValueFrom(
  api.client.watch(kinds.ConfigMap, { fieldSelector: 'metadata.name=greeting-loud' }).pipe(filter((e) => e.type === 'ADDED')),
);
console.log(`${event.object.metadata.name ?? ''}: ${event.object.data?.['text'] ?? ''}`); // greeting-loud: HELLO

stop.abort();
await running;
