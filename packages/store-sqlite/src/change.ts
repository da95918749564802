/**
 * One row of the log, as a change: turns into the {@link Entry} (for a delete, the
 * {@link DeletedEntry}) a write resolves with and the {@link StoreEvent} a watch delivers. Values
 * are parsed lazily, once, and frozen, so the writer, every watcher and the acknowledgement share
 * one read-only object.
 *
 * @module
 */
import type { DeletedEntry, Entry, JsonValue, StoreEvent } from '@harbormaster/core';
import { Op } from './schema.js';

/** A row of `log` joined with the value of the row it supersedes. */
export interface LogRow {
  readonly id: number;
  readonly key: string;
  readonly op: Op;
  readonly create_revision: number;
  readonly prev_revision: number;
  readonly value: string | null;
  readonly prev_value: string | null;
}

/** Parse a stored JSON value and freeze it deeply. */
export function parseValue(json: string): JsonValue {
  return deepFreeze(JSON.parse(json) as JsonValue);
}

function deepFreeze(value: JsonValue): JsonValue {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export class Change {
  #value: JsonValue | undefined;
  #prevValue: JsonValue | undefined;
  #entry: Entry | undefined;
  #prev: Entry | undefined;
  #deleted: DeletedEntry | undefined;
  #event: StoreEvent | undefined;

  constructor(
    readonly id: number,
    readonly key: string,
    readonly op: Op,
    readonly createRevision: number,
    readonly prevRevision: number,
    private readonly valueJson: string | null,
    private readonly prevJson: string | null,
  ) {}

  static fromRow(row: LogRow): Change {
    return new Change(row.id, row.key, row.op, row.create_revision, row.prev_revision, row.value, row.prev_value);
  }

  private value(): JsonValue {
    if (this.#value === undefined) {
      if (this.valueJson === null) throw new Error(`store-sqlite: row ${this.id} has no value`);
      this.#value = parseValue(this.valueJson);
    }
    return this.#value;
  }

  private prevValue(): JsonValue {
    if (this.#prevValue === undefined) {
      if (this.prevJson === null) {
        throw new Error(`store-sqlite: the version ${this.prevRevision} of ${this.key} that row ${this.id} replaces is missing`);
      }
      this.#prevValue = parseValue(this.prevJson);
    }
    return this.#prevValue;
  }

  /** The key after this change; for a delete, its last value at the revision of the delete. */
  entry(): Entry {
    this.#entry ??= Object.freeze({
      key: this.key,
      value: this.op === Op.delete ? this.prevValue() : this.value(),
      createRevision: this.createRevision,
      modRevision: this.id,
    });
    return this.#entry;
  }

  /** The version this change replaced (updates and deletes). */
  prev(): Entry {
    this.#prev ??= Object.freeze({
      key: this.key,
      value: this.prevValue(),
      createRevision: this.createRevision,
      modRevision: this.prevRevision,
    });
    return this.#prev;
  }

  /** What a delete resolves with: the version it replaced, and its own revision (this row's id). */
  deleted(): DeletedEntry {
    this.#deleted ??= Object.freeze({ ...this.prev(), deleteRevision: this.id });
    return this.#deleted;
  }

  event(): StoreEvent {
    if (this.#event === undefined) {
      const revision = this.id;
      switch (this.op) {
        case Op.create:
          this.#event = Object.freeze({ type: 'created', revision, entry: this.entry() });
          break;
        case Op.update:
          this.#event = Object.freeze({ type: 'updated', revision, entry: this.entry(), prev: this.prev() });
          break;
        case Op.delete:
          this.#event = Object.freeze({ type: 'deleted', revision, entry: this.entry(), prev: this.prev() });
          break;
      }
    }
    return this.#event;
  }
}
