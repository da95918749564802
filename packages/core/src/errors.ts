/**
 * Typed API errors, one per Kubernetes `StatusReason` that Harbormaster raises.
 *
 * Every error the API layer throws is an {@link ApiError} with a closed {@link ApiErrorCode}, the
 * HTTP status Kubernetes would answer with, and the kind and name involved. Test for them with the
 * helpers ({@link isNotFound}, {@link isConflict}, …) or `instanceof`, and drop the expected ones
 * with {@link ignoreNotFound} and {@link ignoreAlreadyExists}, as controller-runtime users do with
 * `client.IgnoreNotFound`.
 *
 * @example
 * ```ts
 * try {
 *   await client.update(kinds.Deployment, deployment);
 * } catch (e) {
 *   if (isConflict(e)) return { requeueAfter: 0 }; // re-read and try again
 *   throw e;
 * }
 * const pod = await client.get(kinds.Pod, { namespace: 'default', name: 'web-0' }).catch(ignoreNotFound);
 * ```
 *
 * @module
 */

/** The closed set of error codes, named after Kubernetes' `metav1.StatusReason`. */
export type ApiErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'Forbidden'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'RequestEntityTooLarge'
  | 'InternalError';

const httpStatus: Record<ApiErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Gone: 410,
  Forbidden: 403,
  BadRequest: 400,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
  InternalError: 500,
};

/** One problem with one field, as in Kubernetes' `StatusCause`. */
export interface FieldCause {
  /** The field path, e.g. `spec.template.spec.containers[0].image`. */
  readonly field: string;
  /** What is wrong with it. */
  readonly message: string;
  /** Kubernetes' cause type, e.g. `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`. */
  readonly type?: string;
}

/** What the error is about. */
export interface ErrorDetails {
  /** The API group of the resource, as in Kubernetes' `StatusDetails.group`; empty or absent for the core group. */
  readonly group?: string;
  /** The resource, as in Kubernetes' `StatusDetails.kind`: its plural (`deployments`), or for Invalid its kind (`Deployment`). */
  readonly kind?: string;
  /** The object's name, as in Kubernetes' `StatusDetails.name`. */
  readonly name?: string;
  /** The object's namespace; absent for a cluster-scoped object. */
  readonly namespace?: string;
  /** The problems with individual fields, as in Kubernetes' `StatusDetails.causes`. */
  readonly causes?: readonly FieldCause[];
}

/** Base of every error the API raises. */
export class ApiError extends Error {
  /** The class name, e.g. `NotFoundError`. */
  override readonly name: string = 'ApiError';
  /** The reason, as Kubernetes names it. */
  readonly code: ApiErrorCode;
  /** The HTTP status code Kubernetes answers with for this reason. */
  readonly status: number;
  /** What the error is about: the resource, the object and any field causes. */
  readonly details: ErrorDetails;

  constructor(code: ApiErrorCode, message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = httpStatus[code];
    this.details = details;
  }

  /** This error as a Kubernetes `Status` object (the body an API server would answer with). */
  toStatus(): {
    apiVersion: 'v1';
    kind: 'Status';
    status: 'Failure';
    message: string;
    reason: ApiErrorCode;
    code: number;
    details: ErrorDetails;
  } {
    return {
      apiVersion: 'v1',
      kind: 'Status',
      status: 'Failure',
      message: this.message,
      reason: this.code,
      code: this.status,
      details: this.details,
    };
  }
}

/** Kubernetes' spelling of a resource in messages: `deployments.apps "web"`, `pods "web-0"`. */
function resourceName(details: ErrorDetails): string {
  const plural = details.kind ?? 'object';
  const qualified = details.group ? `${plural}.${details.group}` : plural;
  return details.name === undefined ? qualified : `${qualified} "${details.name}"`;
}

/** 404: the object does not exist. */
export class NotFoundError extends ApiError {
  override readonly name: string = 'NotFoundError';
  constructor(details: ErrorDetails, message?: string) {
    super('NotFound', message ?? `${resourceName(details)} not found`, details);
  }
}

/** 409: an object of that name exists already. */
export class AlreadyExistsError extends ApiError {
  override readonly name: string = 'AlreadyExistsError';
  constructor(details: ErrorDetails, message?: string) {
    super('AlreadyExists', message ?? `${resourceName(details)} already exists`, details);
  }
}

/** 409: the write was based on a stale resourceVersion, or a delete precondition failed. */
export class ConflictError extends ApiError {
  override readonly name: string = 'ConflictError';
  constructor(details: ErrorDetails, message?: string) {
    super(
      'Conflict',
      message ??
        `Operation cannot be fulfilled on ${resourceName(details)}: the object has been modified; please apply your changes to the latest version and try again`,
      details,
    );
  }
}

/** Kubernetes' spelling of a kind in messages: `Deployment.apps`, `Pod` (`schema.GroupKind`). */
function qualifiedKind(details: ErrorDetails): string {
  const kind = details.kind ?? 'object';
  return details.group ? `${kind}.${details.group}` : kind;
}

/**
 * A list of field problems as Kubernetes' aggregate error prints them: one problem alone, several
 * in brackets, duplicates once.
 */
function aggregate(causes: readonly FieldCause[]): string {
  const messages = [...new Set(causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`)))];
  return messages.length === 1 ? (messages[0] ?? '') : `[${messages.join(', ')}]`;
}

/**
 * 422: the object failed validation; `details.causes` names each field. `details.kind` is the
 * kind (`Deployment`), not the resource, as in Kubernetes; the message reads
 * `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: …`.
 */
export class InvalidError extends ApiError {
  override readonly name: string = 'InvalidError';
  constructor(details: ErrorDetails & { causes: readonly FieldCause[] }, message?: string) {
    super(
      'Invalid',
      message ??
        `${qualifiedKind(details)} "${details.name ?? ''}" is invalid${details.causes.length === 0 ? '' : `: ${aggregate(details.causes)}`}`,
      details,
    );
  }

  /** The field problems. */
  get causes(): readonly FieldCause[] {
    return this.details.causes ?? [];
  }
}

/** 410: the requested resourceVersion (or continue token) is older than the retained history. */
export class GoneError extends ApiError {
  override readonly name: string = 'GoneError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('Gone', message, details);
  }
}

/** 403: the operation is refused, e.g. creating in a namespace that is being terminated. */
export class ForbiddenError extends ApiError {
  override readonly name: string = 'ForbiddenError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('Forbidden', message, details);
  }

  /**
   * A refusal worded as Kubernetes words it for an object (`NewForbidden`):
   * `deployments.apps "web" is forbidden: <reason>`, or `pods is forbidden: <reason>` without a
   * name. `details.kind` is the resource (plural), as for {@link NotFoundError}.
   *
   * @example
   * ```ts
   * throw ForbiddenError.forObject({ kind: 'configmaps', name: 'settings' }, 'the team label is required');
   * ```
   */
  static forObject(details: ErrorDetails, reason: string): ForbiddenError {
    if (details.kind === undefined) return new ForbiddenError(`forbidden: ${reason}`, details);
    const { name, ...rest } = details;
    const resource = resourceName(name === undefined || name === '' ? rest : details);
    return new ForbiddenError(`${resource} is forbidden: ${reason}`, details);
  }
}

/** 400: the request itself is malformed (an unknown kind, a bad selector, a bad patch). */
export class BadRequestError extends ApiError {
  override readonly name: string = 'BadRequestError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('BadRequest', message, details);
  }
}

/** 405: the kind does not support the operation (e.g. `updateStatus` on a kind with no status subresource). */
export class MethodNotAllowedError extends ApiError {
  override readonly name: string = 'MethodNotAllowedError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('MethodNotAllowed', message, details);
  }
}

/** 413: the input is larger than allowed. */
export class RequestEntityTooLargeError extends ApiError {
  override readonly name: string = 'RequestEntityTooLargeError';
  constructor(message: string, details: ErrorDetails = {}) {
    super('RequestEntityTooLarge', message, details);
  }
}

/** Whether `e` is an {@link ApiError}, optionally with the given code. */
export function isApiError(e: unknown, code?: ApiErrorCode): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

/** Whether `e` is a 404 NotFound. */
export const isNotFound = (e: unknown): e is NotFoundError => isApiError(e, 'NotFound');
/** Whether `e` is a 409 AlreadyExists. */
export const isAlreadyExists = (e: unknown): e is AlreadyExistsError => isApiError(e, 'AlreadyExists');
/** Whether `e` is a 409 Conflict. */
export const isConflict = (e: unknown): e is ConflictError => isApiError(e, 'Conflict');
/** Whether `e` is a 422 Invalid. */
export const isInvalid = (e: unknown): e is InvalidError => isApiError(e, 'Invalid');
/** Whether `e` is a 410 Gone. */
export const isGone = (e: unknown): e is GoneError => isApiError(e, 'Gone');
/** Whether `e` is a 403 Forbidden. */
export const isForbidden = (e: unknown): e is ForbiddenError => isApiError(e, 'Forbidden');
/** Whether `e` is a 400 BadRequest. */
export const isBadRequest = (e: unknown): e is BadRequestError => isApiError(e, 'BadRequest');

/**
 * Swallow a NotFound and return `undefined`; rethrow anything else.
 *
 * @example
 * ```ts
 * const cm = await client.get(kinds.ConfigMap, key).catch(ignoreNotFound); // ConfigMap | undefined
 * ```
 */
export function ignoreNotFound(e: unknown): undefined {
  if (isNotFound(e)) return undefined;
  throw e;
}

/** Swallow an AlreadyExists and return `undefined`; rethrow anything else. */
export function ignoreAlreadyExists(e: unknown): undefined {
  if (isAlreadyExists(e)) return undefined;
  throw e;
}

/** Swallow a Conflict and return `undefined`; rethrow anything else. */
export function ignoreConflict(e: unknown): undefined {
  if (isConflict(e)) return undefined;
  throw e;
}
