import { z } from 'zod';
import { objectMetaSchema } from '../../meta/object-meta.js';
import { defineKind, type TypeOf } from '../kind.js';

/** v1 ConfigMap: non-confidential data in key-value pairs. */
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
});
/** v1 ConfigMap. */
export type ConfigMap = TypeOf<typeof ConfigMap>;
