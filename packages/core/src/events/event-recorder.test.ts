import { describe, expect, it } from 'vitest';
import { memoryStore } from '@harbormaster/store-memory';
import { createApiServer } from '../api/api-server.js';
import * as kinds from '../kinds/index.js';
import { FakeClock } from '../testing/fake-clock.js';
import { ApiEventRecorder } from './event-recorder.js';

async function setup() {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const api = createApiServer({ store: memoryStore(), clock });
  await api.ready();
  const pod = await api.client.create(kinds.Pod, { metadata: { name: 'web-0' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const node = await api.client.create(kinds.Node, { metadata: { name: 'node-1' } });
  const recorder = new ApiEventRecorder({ client: api.client, component: 'kubelet', host: 'node-1', clock });
  return { clock, api, pod, node, recorder };
}

describe('ApiEventRecorder', () => {
  it('writes an Event about the object with Kubernetes fields', async () => {
    const { api, pod, recorder } = await setup();
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await recorder.flush();
    const [event] = (await api.client.list(kinds.Event, { namespace: 'default' })).items;
    expect(event).toMatchObject({
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'web-0', namespace: 'default', uid: pod.metadata.uid },
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      count: 1,
      firstTimestamp: '2026-11-25T12:00:00Z',
      lastTimestamp: '2026-11-25T12:00:00Z',
      source: { component: 'kubelet', host: 'node-1' },
      reportingComponent: 'kubelet',
    });
    expect(event?.metadata.name).toMatch(/^web-0\.[0-9a-f]+$/);
  });

  it('aggregates identical events into one with count and lastTimestamp', async () => {
    const { api, pod, recorder, clock } = await setup();
    for (let i = 0; i < 5; i++) {
      recorder.event(pod, 'Normal', 'Pulled', 'Container image "busybox" already present on machine');
      await clock.advance(10_000);
    }
    await recorder.flush();
    const events = (await api.client.list(kinds.Event)).items;
    expect(events).toHaveLength(1);
    expect(events[0]?.count).toBe(5);
    expect(events[0]?.firstTimestamp).toBe('2026-11-25T12:00:00Z');
    expect(events[0]?.lastTimestamp).toBe('2026-11-25T12:00:40Z');
  });

  it('keeps counting identical events into one Event however far apart, and creates it again if it was deleted', async () => {
    const { api, pod, recorder, clock } = await setup();
    recorder.event(pod, 'Normal', 'Pulled', 'same');
    await clock.advance(11 * 60_000);
    recorder.event(pod, 'Normal', 'Pulled', 'same');
    await recorder.flush();
    const [event, ...others] = (await api.client.list(kinds.Event)).items;
    expect(others).toEqual([]);
    expect(event).toMatchObject({ count: 2, firstTimestamp: '2026-11-25T12:00:00Z', lastTimestamp: '2026-11-25T12:11:00Z' });
    // The Event expired (Kubernetes deletes Events after an hour): the next occurrence writes it again.
    await api.client.delete(kinds.Event, { namespace: 'default', name: event?.metadata.name ?? '' });
    await clock.advance(60 * 60_000);
    recorder.event(pod, 'Normal', 'Pulled', 'same');
    await recorder.flush();
    const again = (await api.client.list(kinds.Event)).items;
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ count: 3, message: 'same', lastTimestamp: '2026-11-25T13:11:00Z' });
  });

  it('combines similar events into one, within a window that slides from the last of them', async () => {
    const { api, pod, recorder, clock } = await setup();
    for (let i = 0; i < 15; i++) recorder.event(pod, 'Warning', 'FailedMount', `volume ${i} not found`);
    await recorder.flush();
    const mounts = (await api.client.list(kinds.Event)).items.filter((e) => e.reason === 'FailedMount');
    // 9 distinct messages, then one combined Event that counts the rest.
    expect(mounts).toHaveLength(10);
    const combined = mounts.find((e) => e.message?.startsWith('(combined from similar events): '));
    expect(combined?.count).toBe(6);
    expect(combined?.message).toBe('(combined from similar events): volume 14 not found');

    // Ten similar events 9 minutes apart (90 minutes in all) are still combined: each came within
    // 10 minutes of the one before.
    for (let i = 0; i < 10; i++) {
      recorder.event(pod, 'Warning', 'FailedSync', `attempt ${i}`);
      await clock.advance(9 * 60_000);
    }
    await recorder.flush();
    const syncs = () => api.client.list(kinds.Event).then((l) => l.items.filter((e) => e.reason === 'FailedSync'));
    expect((await syncs()).map((e) => e.message)).toEqual([...Array.from({ length: 9 }, (_, i) => `attempt ${i}`), '(combined from similar events): attempt 9']);
    // After more than 10 quiet minutes a new message is an Event of its own again.
    await clock.advance(2 * 60_000);
    recorder.event(pod, 'Warning', 'FailedSync', 'attempt 10');
    await recorder.flush();
    expect((await syncs()).map((e) => e.message)).toContain('attempt 10');
  });

  it('puts events about cluster-scoped objects in default, and never throws', async () => {
    const { api, node, recorder } = await setup();
    recorder.event(node, 'Normal', 'NodeReady', 'Node node-1 status is now: NodeReady');
    recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'no-such-ns' } }, 'Normal', 'X', 'lost');
    await recorder.flush();
    const events = (await api.client.list(kinds.Event)).items;
    expect(events.map((e) => [e.metadata.namespace, e.involvedObject.kind])).toEqual([['default', 'Node']]);
  });

  it('drops events about one object beyond a burst of 25, refilling one every 5 minutes', async () => {
    const { api, pod, recorder, clock } = await setup();
    for (let i = 0; i < 40; i++) recorder.event(pod, 'Normal', 'Tick', `tick ${i}`);
    await recorder.flush();
    const ticks = () => api.client.list(kinds.Event).then((l) => l.items.filter((e) => e.reason === 'Tick'));
    // 9 distinct Events, then one combined Event counting the other 16 of the 25 let through.
    const first = await ticks();
    expect(first).toHaveLength(10);
    expect(first.reduce((n, e) => n + (e.count ?? 0), 0)).toBe(25);
    await clock.advance(300_000);
    recorder.event(pod, 'Normal', 'Tick', 'tick after five minutes');
    recorder.event(pod, 'Normal', 'Tick', 'one too many');
    await recorder.flush();
    // One token came back. The filter runs after aggregation and counting (client-go's order), so
    // the combined Event written now counts every combined occurrence, the 15 dropped ones too:
    // 31 + 1. The last one was dropped and is not written yet.
    const after = await ticks();
    expect(after).toHaveLength(10);
    expect(after.find((e) => e.message?.startsWith('(combined'))).toMatchObject({ count: 32, message: '(combined from similar events): tick after five minutes' });
  });

  it('counts occurrences the spam filter dropped into the next write of the Event', async () => {
    const { api, pod, recorder, clock } = await setup();
    for (let i = 0; i < 30; i++) recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await recorder.flush();
    const backoff = () => api.client.list(kinds.Event).then((l) => l.items.filter((e) => e.reason === 'BackOff'));
    expect((await backoff()).map((e) => e.count)).toEqual([25]);
    await clock.advance(300_000);
    recorder.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await recorder.flush();
    expect((await backoff()).map((e) => e.count)).toEqual([31]);
  });
});
