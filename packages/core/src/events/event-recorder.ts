/**
 * The event recorder: writes Kubernetes `Event` objects about other objects, with Kubernetes'
 * aggregation (client-go's `EventCorrelator`):
 * - an identical event (same object, type, reason, message and source) within the window
 *   updates the existing Event: `count` + 1 and a new `lastTimestamp`, instead of a new object;
 * - when 10 or more events about one object share type and reason but differ in message within
 *   10 minutes, they are combined into one Event whose message starts with
 *   `(combined from similar events): `;
 * - a spam filter drops the events about one object from one source beyond a burst of 25, which
 *   refills at one every 5 minutes (a ReplicaSet creating 10,000 pods records 25 SuccessfulCreate
 *   Events, as in Kubernetes).
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
  readonly client: Client;
  /** The component recording, e.g. `deployment-controller`; it becomes `source.component` and `reportingComponent`. */
  readonly component: string;
  /** The host, for `source.host`. */
  readonly host?: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** How long identical events are merged into one. @default 600000 (10 minutes) */
  readonly windowMs?: number;
  /** How many similar events (same reason, different messages) before they are combined. @default 10 */
  readonly aggregateThreshold?: number;
  /** How many event keys to remember. @default 4096 */
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

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

interface Similar {
  messages: Set<string>;
  firstSeen: number;
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
  /** Identical events: key → the Event written for it. Map order is LRU order. */
  readonly #recorded = new Map<string, Recorded>();
  /** Similar events: key without message → the messages seen. */
  readonly #similar = new Map<string, Similar>();
  /** The spam filter's token buckets, by involved object. */
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

  /** Whether the spam filter lets one more event about `key` through now (takes a token if so). */
  #allow(key: string, now: number): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#spamBurst, at: now };
      this.#buckets.set(key, b);
      if (this.#buckets.size > this.#cacheSize) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      b.tokens = Math.min(this.#spamBurst, b.tokens + (now - b.at) / this.#spamRefillMs);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  event(object: KubeObject, type: EventType, reason: string, message: string): void {
    const now = this.#clock.now();
    const ref = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name ?? '',
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
      ...(object.metadata.resourceVersion ? { resourceVersion: object.metadata.resourceVersion } : {}),
    };
    const objectKey = [this.#component, this.#host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion].join('\u0000');
    if (!this.#allow(objectKey, now)) {
      this.#log.debug({ reason, object: `${ref.namespace ?? ''}/${ref.name}` }, 'event dropped by the spam filter');
      return;
    }
    const similarKey = [this.#component, ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', type, reason].join('\u0000');
    let text = message;
    const similar = this.#similar.get(similarKey);
    if (similar === undefined || now - similar.firstSeen > this.#windowMs) {
      this.#similar.set(similarKey, { messages: new Set([message]), firstSeen: now });
    } else {
      similar.messages.add(message);
      if (similar.messages.size >= this.#threshold) text = `(combined from similar events): ${message}`;
    }
    const key = text.startsWith('(combined from similar events): ') ? `${similarKey}\u0000*` : `${similarKey}\u0000${text}`;
    this.#pending++;
    this.#queue = this.#queue
      .then(() => this.#write(key, ref, type, reason, text, now))
      .catch((e: unknown) => this.#log.warn({ err: e, reason, object: `${ref.namespace ?? ''}/${ref.name}` }, 'could not record event'))
      .finally(() => {
        this.#pending--;
      });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.#pending > 0) await this.#queue;
  }

  async #write(
    key: string,
    ref: { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string; resourceVersion?: string },
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Promise<void> {
    const seen = this.#recorded.get(key);
    const timestamp = formatTime(now);
    if (seen !== undefined && now - seen.lastSeen <= this.#windowMs) {
      seen.count++;
      seen.lastSeen = now;
      this.#touch(key, seen);
      try {
        await this.#client.patch(
          kinds.Event,
          { namespace: seen.namespace, name: seen.name },
          { count: seen.count, lastTimestamp: timestamp, message },
        );
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // The Event was deleted (or expired): write a new one.
      }
    }
    const namespace = ref.namespace ?? 'default';
    // Kubernetes names an Event `<object>.<unix nanoseconds in hex>`; keep names unique when the clock stands still.
    const nanos = BigInt(now) * 1_000_000n;
    this.#lastNanos = nanos > this.#lastNanos ? nanos : this.#lastNanos + 1n;
    const name = `${ref.name}.${this.#lastNanos.toString(16)}`;
    const record: Recorded = { name, namespace, count: 1, firstTimestamp: timestamp, lastSeen: now };
    try {
      await this.#client.create(kinds.Event, {
        metadata: { name, namespace },
        involvedObject: ref,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        eventTime: formatMicroTime(now),
        source: { component: this.#component, ...(this.#host === undefined ? {} : { host: this.#host }) },
        reportingComponent: this.#component,
        reportingInstance: this.#host ?? this.#component,
        action: reason,
      });
    } catch (e) {
      if (isNotFound(e) || isAlreadyExists(e)) {
        // The namespace is gone, or a name clash: nothing useful to record.
        this.#log.debug({ err: e }, 'event not recorded');
        return;
      }
      throw e;
    }
    this.#touch(key, record);
  }

  #touch(key: string, record: Recorded): void {
    this.#recorded.delete(key);
    this.#recorded.set(key, record);
    while (this.#recorded.size > this.#cacheSize) {
      const oldest = this.#recorded.keys().next().value;
      if (oldest === undefined) break;
      this.#recorded.delete(oldest);
    }
    if (this.#similar.size > this.#cacheSize) {
      const oldest = this.#similar.keys().next().value;
      if (oldest !== undefined) this.#similar.delete(oldest);
    }
  }
}
