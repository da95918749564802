import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  GoneError,
  InvalidError,
  NotFoundError,
  ignoreAlreadyExists,
  ignoreConflict,
  ignoreNotFound,
  isConflict,
  isGone,
} from './errors.js';

const notFound = new NotFoundError({ group: 'apps', kind: 'deployments', name: 'web' });
const alreadyExists = new AlreadyExistsError({ kind: 'configmaps', name: 'a' });
const conflict = new ConflictError({ kind: 'configmaps', name: 'a' });
const gone = new GoneError('too old resource version: 1 (5)');
const plain = new Error('boom');

describe('error helpers', () => {
  it('isConflict and isGone recognise their code only', () => {
    expect(isConflict(conflict)).toBe(true);
    expect([alreadyExists, notFound, gone, plain, undefined, 'Conflict', { code: 'Conflict' }].map(isConflict)).toEqual(Array(7).fill(false));
    expect(isGone(gone)).toBe(true);
    expect(gone.status).toBe(410);
    expect([conflict, notFound, plain, null, { code: 'Gone' }].map(isGone)).toEqual(Array(5).fill(false));
  });

  it('ignoreNotFound swallows a NotFound and rethrows anything else', async () => {
    expect(ignoreNotFound(notFound)).toBeUndefined();
    expect(await Promise.reject(notFound).catch(ignoreNotFound)).toBeUndefined();
    for (const e of [conflict, alreadyExists, gone, plain]) expect(() => ignoreNotFound(e)).toThrow(e);
    expect(() => ignoreNotFound('not an error')).toThrow('not an error');
  });

  it('ignoreAlreadyExists swallows an AlreadyExists, not a Conflict (the same HTTP status)', async () => {
    expect(ignoreAlreadyExists(alreadyExists)).toBeUndefined();
    expect(await Promise.reject(alreadyExists).catch(ignoreAlreadyExists)).toBeUndefined();
    expect(alreadyExists.status).toBe(conflict.status);
    for (const e of [conflict, notFound, plain]) expect(() => ignoreAlreadyExists(e)).toThrow(e);
  });

  it('ignoreConflict swallows a Conflict, not an AlreadyExists', async () => {
    expect(ignoreConflict(conflict)).toBeUndefined();
    expect(await Promise.reject(conflict).catch(ignoreConflict)).toBeUndefined();
    for (const e of [alreadyExists, notFound, gone, plain]) expect(() => ignoreConflict(e)).toThrow(e);
  });
});

describe('messages, as Kubernetes words them', () => {
  it('Invalid: the kind qualified by its group, the name, one cause or several in brackets', () => {
    const one = new InvalidError({
      group: 'apps',
      kind: 'Deployment',
      name: 'web',
      causes: [{ field: 'spec.replicas', message: 'Invalid value: -1: must be greater than or equal to 0' }],
    });
    expect(one.message).toBe('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const two = new InvalidError({
      group: '',
      kind: 'Pod',
      name: 'p',
      causes: [
        { field: 'spec.containers[0].name', message: 'Required value' },
        { field: 'spec.containers[0].image', message: 'Required value' },
        { field: 'spec.containers[0].image', message: 'Required value' },
      ],
    });
    expect(two.message).toBe('Pod "p" is invalid: [spec.containers[0].name: Required value, spec.containers[0].image: Required value]');
    expect(new InvalidError({ kind: 'ConfigMap', causes: [] }).message).toBe('ConfigMap "" is invalid');
  });

  it('Forbidden for an object: the resource, the name when there is one, and the reason', () => {
    expect(ForbiddenError.forObject({ group: 'apps', kind: 'deployments', name: 'web' }, 'no').message).toBe('deployments.apps "web" is forbidden: no');
    expect(ForbiddenError.forObject({ kind: 'pods', name: '' }, 'no').message).toBe('pods is forbidden: no');
    expect(ForbiddenError.forObject({}, 'no').message).toBe('forbidden: no');
  });
});
