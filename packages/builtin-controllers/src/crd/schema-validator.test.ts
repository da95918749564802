import type { kinds } from '@harbormaster/core';
import { describe, expect, it } from 'vitest';
import { compileSchemaValidator } from './schema-validator.js';

type Schema = kinds.JSONSchemaProps;

const spec = (properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema => ({
  type: 'object',
  properties: { spec: { type: 'object', properties, ...extra } },
});

describe('compileSchemaValidator', () => {
  it('reports missing required fields and enum values', () => {
    const validate = compileSchemaValidator(spec({ image: { type: 'string' }, policy: { type: 'string', enum: ['Always', 'Never'] } }, { required: ['image'] }));
    expect(validate({ spec: { policy: 'Sometimes' } })).toEqual([
      { kind: 'required', path: ['spec', 'image'] },
      { kind: 'enum', path: ['spec', 'policy'], value: 'Sometimes', values: ['Always', 'Never'] },
    ]);
    expect(validate({ spec: { image: 'x', policy: 'Never' } })).toEqual([]);
  });

  it('words value checks as Kubernetes does, with array indices in paths', () => {
    const validate = compileSchemaValidator(
      spec({
        items: { type: 'array', maxItems: 1, items: { type: 'object', properties: { name: { type: 'string', minLength: 3 } } } },
        ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, multipleOf: 0.5 },
        when: { type: 'string', format: 'date-time' },
        id: { type: 'string', format: 'int-or-anything-unknown' },
      }),
    );
    const issues = validate({ spec: { items: [{ name: 'ab' }, { name: 'abc' }], ratio: 0, when: 'yesterday', id: '?' } });
    expect(issues).toEqual([
      { kind: 'invalid', path: ['spec', 'items'], message: 'spec.items in body should have at most 1 items' },
      { kind: 'invalid', path: ['spec', 'items', 0, 'name'], message: '"ab": spec.items[0].name in body should be at least 3 chars long' },
      { kind: 'invalid', path: ['spec', 'ratio'], message: '0: spec.ratio in body should be greater than 0' },
      { kind: 'invalid', path: ['spec', 'when'], message: '"yesterday": spec.when in body must be of type date-time' },
    ]);
  });

  it('checks x-kubernetes-int-or-string and nullable', () => {
    const validate = compileSchemaValidator(
      spec({
        port: { 'x-kubernetes-int-or-string': true },
        maybe: { type: 'string', nullable: true, enum: ['a'] },
        never: { type: 'string' },
      }),
    );
    expect(validate({ spec: { port: 8080, maybe: null } })).toEqual([]);
    expect(validate({ spec: { port: 'http', maybe: 'a' } })).toEqual([]);
    expect(validate({ spec: { port: 1.5, never: null } })).toEqual([
      { kind: 'invalid', path: ['spec', 'port'], message: '"number": spec.port in body must be of type integer,string: "number"' },
      { kind: 'invalid', path: ['spec', 'never'], message: '"null": spec.never in body must be of type string: "null"' },
    ]);
  });

  it('reports a failed anyOf once, not each branch', () => {
    const validate = compileSchemaValidator(spec({ mode: { type: 'string', anyOf: [{ enum: ['a'] }, { pattern: '^b' }] } }));
    expect(validate({ spec: { mode: 'c' } })).toEqual([
      { kind: 'invalid', path: ['spec', 'mode'], message: '"c": spec.mode in body must validate at least one schema (anyOf)' },
    ]);
  });

  it('requires apiVersion and kind in embedded resources', () => {
    const validate = compileSchemaValidator(spec({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } }));
    expect(validate({ spec: { template: { apiVersion: 'v1', kind: 'Pod', spec: {} } } })).toEqual([]);
    expect(validate({ spec: { template: { spec: {} } } })).toEqual([
      { kind: 'required', path: ['spec', 'template', 'apiVersion'] },
      { kind: 'required', path: ['spec', 'template', 'kind'] },
    ]);
  });

  it('refuses duplicates in lists of type set and map', () => {
    const validate = compileSchemaValidator(
      spec({
        tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port'],
          items: { type: 'object', properties: { port: { type: 'integer' }, name: { type: 'string' } } },
        },
      }),
    );
    expect(validate({ spec: { tags: ['a', 'b', 'a'], ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] } })).toEqual([
      { kind: 'invalid', path: ['spec', 'tags', 2], message: '"a": duplicate entries for x-kubernetes-list-type set' },
      { kind: 'invalid', path: ['spec', 'ports', 1], message: '{"port":80}: duplicate entries for x-kubernetes-list-type map' },
    ]);
  });

  it('accepts Go-style escapes in patterns and restricts only name and generateName in metadata', () => {
    const validate = compileSchemaValidator({
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } },
        spec: { type: 'object', properties: { id: { type: 'string', pattern: '^[a-z\\-]+$' } } },
      },
    });
    expect(validate({ metadata: { name: 'short', labels: { a: 'b' } }, spec: { id: 'a-b' } })).toEqual([]);
    expect(validate({ metadata: { name: 'toolong' }, spec: { id: 'A' } }).map((i) => i.path.join('.'))).toEqual(['metadata.name', 'spec.id']);
  });
});
