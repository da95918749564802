/**
 * `Website` (example.com/v1): a custom kind defined with a zod schema. Its spec says what to
 * publish; its status says where it went. The schema's defaults (`replicas: 1`, `title`) are
 * applied by the API on every write, exactly like Kubernetes' defaults for built-in kinds.
 */
import { z } from 'zod';
import { defineKind, objectMetaSchema, type TypeOf } from '@harbormaster/core';

export const Website = defineKind({
  group: 'example.com',
  version: 'v1',
  kind: 'Website',
  namespaced: true,
  shortNames: ['site'],
  subresources: { status: true },
  schema: z.strictObject({
    apiVersion: z.literal('example.com/v1'),
    kind: z.literal('Website'),
    metadata: objectMetaSchema,
    spec: z.strictObject({
      /** The page title. */
      title: z.string().min(1).default('Untitled'),
      /** The body of index.html. */
      html: z.string(),
    }),
    status: z
      .strictObject({
        /** Where the site was published. */
        url: z.string().optional(),
        /** The ConfigMap holding the rendered page. */
        configMap: z.string().optional(),
        observedGeneration: z.number().int().optional(),
        conditions: z
          .array(
            z.strictObject({
              type: z.string(),
              status: z.enum(['True', 'False', 'Unknown']),
              reason: z.string().optional(),
              message: z.string().optional(),
              lastTransitionTime: z.string().optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  }),
});
export type Website = TypeOf<typeof Website>;
