import type { kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultsOf, prune, pruneNonNullableNulls, validateStructural } from './structural-schema.js';

type Schema = kinds.JSONSchemaProps;
const ROOT = 'spec.versions[0].schema.openAPIV3Schema';

describe('validateStructural', () => {
  it('accepts the documentation CronTab and common extensions', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } },
        spec: {
          type: 'object',
          properties: {
            cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
            port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
            labels: { type: 'object', additionalProperties: { type: 'string' } },
            anything: { 'x-kubernetes-preserve-unknown-fields': true },
            mode: { type: 'string', anyOf: [{ enum: ['a'] }, { pattern: '^b' }] },
          },
        },
      },
    };
    expect(validateStructural(schema, ROOT)).toEqual([]);
  });

  it('requires a type on every specified node', () => {
    expect(validateStructural({ properties: { spec: { type: 'object', properties: { a: {} } } } }, ROOT)).toEqual([
      { field: `${ROOT}.properties[spec].properties[a].type`, message: 'Required value: must not be empty for specified object fields', type: 'FieldValueRequired' },
      { field: `${ROOT}.type`, message: 'Required value: must not be empty at the root', type: 'FieldValueRequired' },
    ]);
    expect(validateStructural({ type: 'object', properties: { list: { type: 'array' } } }, ROOT)).toEqual([
      { field: `${ROOT}.properties[list].items`, message: 'Required value: must be specified', type: 'FieldValueRequired' },
    ]);
    expect(validateStructural({ type: 'object', properties: { list: { type: 'array', items: {} } } }, ROOT)[0]?.message).toBe(
      'Required value: must not be empty for specified array items',
    );
  });

  it('forbids types, defaults and descriptions inside logic junctors, and fields specified only there', () => {
    const causes = validateStructural(
      { type: 'object', properties: { a: { type: 'string', anyOf: [{ type: 'string', description: 'x' }] }, b: { type: 'object', oneOf: [{ properties: { c: { minLength: 1 } } }] } } },
      ROOT,
    );
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      `${ROOT}.properties[a].anyOf[0].description: Forbidden: must be empty to be structural`,
      `${ROOT}.properties[a].anyOf[0].type: Forbidden: must be empty to be structural`,
      `${ROOT}.properties[b].properties[c]: Required value: because it is specified in a logic junctor (allOf, anyOf, oneOf or not)`,
    ]);
  });

  it('restricts metadata at the root to name and generateName, and forbids additionalProperties there', () => {
    const causes = validateStructural({ type: 'object', additionalProperties: { type: 'string' }, properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }, ROOT);
    expect(causes.map((c) => c.message)).toEqual([
      'Forbidden: additionalProperties and properties are mutual exclusive',
      'Forbidden: must not be used at the root',
      'Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
    ]);
  });

  it('applies the apiextensions/v1 rules', () => {
    const causes = validateStructural(
      {
        type: 'object',
        properties: {
          a: { type: 'array', items: { type: 'string' }, uniqueItems: true },
          b: { $ref: '#/definitions/b', type: 'string' },
          c: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
          d: { type: 'string', 'x-kubernetes-embedded-resource': true },
          e: { type: 'string', pattern: '(' },
        },
      },
      ROOT,
    );
    expect(causes.map((c) => `${c.field.slice(ROOT.length)}: ${c.message.split(':')[0] ?? ''}`)).toEqual([
      '.properties[a].uniqueItems: Forbidden',
      '.properties[b].$ref: Forbidden',
      '.properties[c].x-kubernetes-preserve-unknown-fields: Invalid value',
      '.properties[d].properties: Required value',
      '.properties[d].type: Invalid value',
      '.properties[e].pattern: Invalid value',
    ]);
  });

  it('lists the defaults with their paths', () => {
    const schema: Schema = { type: 'object', properties: { spec: { type: 'object', default: {}, properties: { n: { type: 'integer', default: 1 } } } } };
    expect(defaultsOf(schema, ROOT).map((d) => [d.path, d.value])).toEqual([
      [`${ROOT}.properties[spec].default`, {}],
      [`${ROOT}.properties[spec].properties[n].default`, 1],
    ]);
  });
});

describe('applyDefaults', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          replicas: { type: 'integer', default: 1 },
          nullable: { type: 'string', nullable: true, default: 'x' },
          strategy: { type: 'object', default: { type: 'Rolling' }, properties: { type: { type: 'string' }, maxSurge: { type: 'integer', default: 25 } } },
          ports: { type: 'array', items: { type: 'object', properties: { protocol: { type: 'string', default: 'TCP' }, port: { type: 'integer' } } } },
          labels: { type: 'object', additionalProperties: { type: 'object', properties: { v: { type: 'string', default: 'v' } } } },
        },
      },
    },
  };

  it('fills missing fields, inside defaulted values and in list items and map values', () => {
    const obj: Record<string, unknown> = { spec: { ports: [{ port: 80 }], labels: { a: {} } } };
    applyDefaults(obj, schema);
    expect(obj['spec']).toEqual({
      replicas: 1,
      nullable: 'x',
      strategy: { type: 'Rolling', maxSurge: 25 },
      ports: [{ port: 80, protocol: 'TCP' }],
      labels: { a: { v: 'v' } },
    });
    const empty: Record<string, unknown> = {};
    applyDefaults(empty, schema);
    expect(empty['spec']).toMatchObject({ replicas: 1, strategy: { maxSurge: 25 } });
  });

  it('replaces null in non-nullable fields, and keeps null where it is allowed', () => {
    const obj: Record<string, unknown> = { spec: { replicas: null, nullable: null } };
    applyDefaults(obj, schema);
    expect(obj['spec']).toMatchObject({ replicas: 1, nullable: null });
  });
});

describe('prune', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          known: { type: 'string' },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { inner: { type: 'object', properties: { a: { type: 'string' } } } } },
          map: { type: 'object', additionalProperties: { type: 'object', properties: { keep: { type: 'string' } } } },
          list: { type: 'array', items: { type: 'object', properties: { keep: { type: 'string' } } } },
          template: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: { image: { type: 'string' } } } },
          },
        },
      },
    },
  };

  it('drops unknown fields everywhere but keeps apiVersion, kind and ObjectMeta at the root', () => {
    const obj: Record<string, unknown> = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', labels: { a: 'b' }, bogus: true },
      spec: {
        known: 'k',
        unknown: 1,
        free: { anything: [1, 2], inner: { a: 'a', b: 'b' } },
        map: { one: { keep: 'y', drop: 'z' } },
        list: [{ keep: 'y', drop: 'z' }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', nope: 1 }, spec: { image: 'i', extra: 1 }, other: 1 },
      },
      status: { whatever: 1 },
    };
    prune(obj, schema);
    expect(obj).toEqual({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'n', labels: { a: 'b' } },
      spec: {
        known: 'k',
        free: { anything: [1, 2], inner: { a: 'a' } },
        map: { one: { keep: 'y' } },
        list: [{ keep: 'y' }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { image: 'i' } },
      },
    });
  });

  it('keeps everything under x-kubernetes-preserve-unknown-fields at the root', () => {
    const obj: Record<string, unknown> = { apiVersion: 'x/v1', kind: 'X', metadata: {}, anything: { goes: true } };
    prune(obj, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(obj['anything']).toEqual({ goes: true });
  });

  it('drops nulls of non-nullable fields without a default', () => {
    const obj: Record<string, unknown> = { spec: { a: null, b: null, c: null } };
    pruneNonNullableNulls(obj, {
      type: 'object',
      properties: { spec: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string', nullable: true }, c: { type: 'string', default: 'c' } } } },
    });
    expect(obj).toEqual({ spec: { b: null, c: null } });
  });
});
