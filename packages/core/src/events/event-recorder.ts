/**
 * The event recorder: writes Kubernetes `Event` objects about other objects, with Kubernetes'
 * aggregation (client-go's `EventCorrelator`). Every event goes through three steps, in
 * client-go's order:
 * 1. **aggregate**: when 10 events about one object share source, type and reason but differ in
 *    message, each within 10 minutes of the previous one (the window slides), the 10th and later
 *    ones are combined into one Event whose message starts with `(combined from similar events): `;
 * 2. **count**: an event identical to one recorded before (same object, source, type, reason and
 *    message) is counted into the same Event (`count` + 1, a new `lastTimestamp`), however long
 *    ago that was, as long as the recorder remembers it (an LRU of 4096 keys; an Event deleted
 *    meanwhile, e.g. by the API's Event TTL, is created anew);
 * 3. **filter**: a spam filter drops the events about one object from one source beyond a burst of
 *    25, refilling one every 5 minutes (a ReplicaSet creating 10,000 pods makes 25 Event writes,
 *    then one every 5 minutes, as in Kubernetes). It sees events after aggregation and counting,
 *    so a dropped occurrence still counts: the next write of that Event carries the full count.
 *
 * Recording never blocks and never throws: writes happen in the background, in order, and a
 * failed write is logged. `flush()` waits for the writes (the manager calls it on shutdown).
 *
 * @example
 * ```ts
 * ctx.recorder.event(deployment, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-5d8f to 3');
 * ```
 *
 * @module
 */
import { systemClock, formatMicroTime, formatTime, type Clock } from '../clock/clock.js';
import type { Client } from '../api/client.js';
import { isAlreadyExists, isNotFound } from '../errors.js';
import * as kinds from '../kinds/index.js';
import type { KubeObject } from '../meta/object-meta.js';
import { silentLogger, type Logger } from '../observability/logger.js';

/** `Normal` or `Warning`, as in Kubernetes. */
export type EventType = 'Normal' | 'Warning';

/** Records events about objects. */
export interface EventRecorder {
  /**
   * Record that `reason` happened to `object`. `reason` is a short UpperCamelCase word
   * (`SuccessfulCreate`); `message` is for people.
   */
  event(object: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Options of {@link ApiEventRecorder}. */
export interface EventRecorderOptions {
  /** The client that creates and updates the Event objects. */
  readonly client: Client;
  /** The component recording, e.g. `deployment-controller`; it becomes `source.component` and `reportingComponent`. */
  readonly component: string;
  /** The host, for `source.host`. */
  readonly host?: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /**
   * The aggregation window: similar events (same reason, different messages) are combined while
   * each comes within this long of the previous one. Identical events are counted into one Event
   * however far apart. @default 600000 (10 minutes)
   */
  readonly windowMs?: number;
  /** How many similar events (same reason, different messages) before they are combined. @default 10 */
  readonly aggregateThreshold?: number;
  /** How many event keys (and objects, for the spam filter) to remember. @default 4096 */
  readonly cacheSize?: number;
  /** The spam filter's burst: events about one object from this source before it throttles. @default 25 */
  readonly spamBurst?: number;
  /** How often the spam filter gives back one event, in ms. @default 300000 (5 minutes) */
  readonly spamRefillMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What the recorder remembers of an Event it counts into (client-go's `eventLog`). */
interface Recorded {
  readonly name: string;
  readonly namespace: string;
  count: number;
  readonly firstTimestamp: string;
}

/** Similar events seen lately (client-go's `aggregateRecord`). */
interface Similar {
  readonly messages: Set<string>;
  lastSeen: number;
}

type InvolvedObject = { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string; resourceVersion?: string };

/** One Event write, decided when the event was recorded. */
interface Write {
  readonly ref: InvolvedObject;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly name: string;
  readonly namespace: string;
  readonly count: number;
  readonly firstTimestamp: string;
  readonly now: number;
}

const COMBINED = '(combined from similar events): ';

/** Put `key` last in `map` (most recently used) and drop the least recently used beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}

/** An {@link EventRecorder} writing Event objects through the API client. */
export class ApiEventRecorder implements EventRecorder {
  readonly #client: Client;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #component: string;
  readonly #host: string | undefined;
  readonly #windowMs: number;
  readonly #threshold: number;
  readonly #cacheSize: number;
  /** Event key → the Event counted into. Map order is LRU order. */
  readonly #recorded = new Map<string, Recorded>();
  /** Aggregate key (the event key without the message) → the messages seen lately. */
  readonly #similar = new Map<string, Similar>();
  /** The spam filter's token buckets, by source and involved object. */
  readonly #buckets = new Map<string, Bucket>();
  readonly #spamBurst: number;
  readonly #spamRefillMs: number;
  #queue: Promise<void> = Promise.resolve();
  #lastNanos = 0n;
  #pending = 0;

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: options.component });
    this.#component = options.component;
    this.#host = options.host;
    this.#windowMs = options.windowMs ?? 600_000;
    this.#threshold = options.aggregateThreshold ?? 10;
    this.#cacheSize = options.cacheSize ?? 4096;
    this.#spamBurst = options.spamBurst ?? 25;
    this.#spamRefillMs = options.spamRefillMs ?? 300_000;
  }

  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    const now = this.#clock.now();
    const ref: InvolvedObject = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name ?? '',
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    };
    const objectKey = [this.#component, this.#host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion].join('\u0000');
    const aggregated = this.#aggregate(`${objectKey}\u0000${type}\u0000${reason}`, message, now);
    const recorded = this.#observe(aggregated.key, ref, now);
    if (!this.#allow(objectKey, now)) {
      this.#log.debug({ reason, object: `${ref.namespace ?? ''}/${ref.name}`, count: recorded.count }, 'event dropped by the spam filter');
      return;
    }
    const write: Write = { ref, type, reason, message: aggregated.message, ...recorded, now };
    this.#pending++;
    this.#queue = this.#queue
      .then(() => this.#write(write))
      .catch((e: unknown) => this.#log.warn({ err: e, reason, object: `${ref.namespace ?? ''}/${ref.name}` }, 'could not record event'))
      .finally(() => {
        this.#pending--;
      });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.#pending > 0) await this.#queue;
  }

  /**
   * Step 1 (client-go's `EventAggregate`): the message to write and the key to count it under. The
   * `threshold`-th distinct message within the sliding window, and every later one, is combined.
   */
  #aggregate(aggregateKey: string, message: string, now: number): { key: string; message: string } {
    let similar = this.#similar.get(aggregateKey);
    if (similar === undefined || now - similar.lastSeen > this.#windowMs) similar = { messages: new Set(), lastSeen: now };
    similar.messages.add(message);
    similar.lastSeen = now;
    touch(this.#similar, aggregateKey, similar, this.#cacheSize);
    if (similar.messages.size < this.#threshold) return { key: `${aggregateKey}\u0000${message}`, message };
    // Do not grow the set beyond the threshold: the next new message is combined too.
    similar.messages.delete(message);
    return { key: aggregateKey, message: `${COMBINED}${message}` };
  }

  /** Step 2 (client-go's `eventObserve`): count the event into the Event of its key, or a new one. */
  #observe(key: string, ref: InvolvedObject, now: number): Recorded {
    let recorded = this.#recorded.get(key);
    if (recorded === undefined) {
      // Kubernetes names an Event `<object>.<unix nanoseconds in hex>`; keep names unique when the clock stands still.
      const nanos = BigInt(now) * 1_000_000n;
      this.#lastNanos = nanos > this.#lastNanos ? nanos : this.#lastNanos + 1n;
      recorded = { name: `${ref.name}.${this.#lastNanos.toString(16)}`, namespace: ref.namespace ?? 'default', count: 1, firstTimestamp: formatTime(now) };
    } else {
      recorded.count++;
    }
    touch(this.#recorded, key, recorded, this.#cacheSize);
    return { ...recorded };
  }

  /** Step 3 (client-go's spam filter): whether one more event about this object from this source goes through now. */
  #allow(key: string, now: number): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) b = { tokens: this.#spamBurst, at: now };
    else {
      b.tokens = Math.min(this.#spamBurst, b.tokens + (now - b.at) / this.#spamRefillMs);
      b.at = now;
    }
    touch(this.#buckets, key, b, this.#cacheSize);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  async #write(w: Write): Promise<void> {
    const timestamp = formatTime(w.now);
    if (w.count > 1) {
      try {
        await this.#client.patch(kinds.Event, { namespace: w.namespace, name: w.name }, { count: w.count, lastTimestamp: timestamp, message: w.message });
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // The Event is gone (deleted, expired, or never written): create it again, count and all.
      }
    }
    try {
      await this.#client.create(kinds.Event, {
        metadata: { name: w.name, namespace: w.namespace },
        involvedObject: w.ref,
        reason: w.reason,
        message: w.message,
        type: w.type,
        count: w.count,
        firstTimestamp: w.firstTimestamp,
        lastTimestamp: timestamp,
        eventTime: formatMicroTime(w.now),
        source: { component: this.#component, ...(this.#host === undefined ? {} : { host: this.#host }) },
        reportingComponent: this.#component,
        reportingInstance: this.#host ?? this.#component,
        action: w.reason,
      });
    } catch (e) {
      if (isNotFound(e) || isAlreadyExists(e)) {
        // The namespace is gone, or a name clash: nothing useful to record.
        this.#log.debug({ err: e }, 'event not recorded');
        return;
      }
      throw e;
    }
  }
}
