import { z } from 'zod';
import type { FieldCause } from '../../errors.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { jsonEqual } from '../../util/json.js';
import { forbidden } from '../field-validation.js';
import { defineKind, type TypeOf } from '../kind.js';

/**
 * v1 ConfigMap: non-confidential data in key-value pairs. An immutable one (`immutable: true`)
 * keeps its `data` and `binaryData`, and stays immutable, as in Kubernetes: delete and recreate it
 * to change it.
 */
export const ConfigMap = defineKind({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  shortNames: ['cm'],
  namespaced: true,
  schema: z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata: objectMetaSchema,
    data: z.record(z.string(), z.string()).optional(),
    /** Base64-encoded binary values. */
    binaryData: z.record(z.string(), z.string().base64()).optional(),
    immutable: z.boolean().optional(),
  }),
  strategy: {
    validate(cm, old) {
      const causes: FieldCause[] = [];
      if (old?.immutable !== true) return causes;
      const message = 'field is immutable when `immutable` is set';
      if (cm.immutable !== true) causes.push(forbidden('immutable', message));
      if (!jsonEqual(cm.data, old.data)) causes.push(forbidden('data', message));
      if (!jsonEqual(cm.binaryData, old.binaryData)) causes.push(forbidden('binaryData', message));
      return causes;
    },
  },
});
/** v1 ConfigMap. */
export type ConfigMap = TypeOf<typeof ConfigMap>;
