/**
 * The result of a plugin at an extension point: a {@link Status} with a closed {@link StatusCode},
 * as in kube-scheduler's `framework.Status`.
 *
 * A plugin returns `undefined` (or {@link Status.success}) for success; the framework treats the
 * two alike. A plugin that throws is treated as having returned an `Error` status.
 *
 * @example
 * ```ts
 * filter(state, pod, nodeInfo) {
 *   if (nodeInfo.node.spec?.unschedulable) return Status.unresolvable('node(s) were unschedulable');
 *   return undefined;
 * }
 * ```
 *
 * @module
 */

/**
 * The closed set of status codes.
 * - `Success`: the plugin ran and the pod may proceed.
 * - `Error`: an internal error; the pod is retried after back-off.
 * - `Unschedulable`: the pod does not fit now; preemption may help.
 * - `UnschedulableAndUnresolvable`: the pod does not fit, and preemption would not help.
 * - `Wait`: a Permit plugin holds the pod until allowed, rejected or timed out.
 * - `Skip`: at PreFilter, PreScore or Bind, the plugin has nothing to do for this pod.
 * - `Pending`: the pod waits for something outside the scheduler (not a failure of fit).
 */
export type StatusCode = 'Success' | 'Error' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Wait' | 'Skip' | 'Pending';

/** What a plugin returns: a {@link Status}, or `undefined` for success. */
export type PluginStatus = Status | undefined;

/** The result of one plugin at one extension point. Immutable. */
export class Status {
  /** The shared success status. */
  static readonly success: Status = new Status('Success');
  /** The shared skip status. */
  static readonly skipped: Status = new Status('Skip');

  /** What happened; see {@link StatusCode}. */
  readonly code: StatusCode;
  /** Human-readable reasons, e.g. `["Insufficient cpu", "Insufficient memory"]`. */
  readonly reasons: readonly string[];
  /** The error behind an `Error` status. */
  readonly error: Error | undefined;
  /** The plugin that returned this status, once the framework has recorded it. */
  readonly plugin: string | undefined;

  constructor(code: StatusCode, reasons: readonly string[] = [], options: { readonly error?: Error | undefined; readonly plugin?: string | undefined } = {}) {
    this.code = code;
    this.reasons = reasons;
    this.error = options.error;
    this.plugin = options.plugin;
  }

  /** `Unschedulable` with these reasons. */
  static unschedulable(...reasons: string[]): Status {
    return new Status('Unschedulable', reasons);
  }

  /** `UnschedulableAndUnresolvable` with these reasons. */
  static unresolvable(...reasons: string[]): Status {
    return new Status('UnschedulableAndUnresolvable', reasons);
  }

  /** `Error` carrying `error`; its message becomes the reason. */
  static error(error: unknown): Status {
    const e = error instanceof Error ? error : new Error(String(error));
    return new Status('Error', [e.message], { error: e });
  }

  /** `Wait`, for a Permit plugin. */
  static wait(...reasons: string[]): Status {
    return new Status('Wait', reasons);
  }

  /** `Skip`. */
  static skip(): Status {
    return Status.skipped;
  }

  /** `Pending` with these reasons. */
  static pending(...reasons: string[]): Status {
    return new Status('Pending', reasons);
  }

  /** The reasons joined with `", "`, as Kubernetes' `Status.Message()`. */
  get message(): string {
    return this.reasons.join(', ');
  }

  /** Whether the code is `Success`. */
  isSuccess(): boolean {
    return this.code === 'Success';
  }

  /** Whether the code is `Unschedulable`, `UnschedulableAndUnresolvable` or `Pending`. */
  isRejected(): boolean {
    return this.code === 'Unschedulable' || this.code === 'UnschedulableAndUnresolvable' || this.code === 'Pending';
  }

  /** A copy recording which plugin returned it. */
  withPlugin(plugin: string): Status {
    if (this.plugin === plugin) return this;
    return new Status(this.code, this.reasons, { error: this.error, plugin });
  }

  /** The status as an Error (its own error for `Error`, else one with the message). */
  asError(): Error {
    return this.error ?? new Error(this.message);
  }

  /** The code and the message, e.g. `Unschedulable: Insufficient cpu`. */
  toString(): string {
    return this.message === '' ? this.code : `${this.code}: ${this.message}`;
  }
}

/** Whether a plugin's result means success (`undefined` or a `Success` status). */
export function isSuccess(status: PluginStatus): boolean {
  return status === undefined || status.code === 'Success';
}

/** The code of a plugin's result (`undefined` is `Success`). */
export function codeOf(status: PluginStatus): StatusCode {
  return status === undefined ? 'Success' : status.code;
}
