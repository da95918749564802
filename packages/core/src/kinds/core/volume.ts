/**
 * Pod volumes (`v1.Volume` and every `v1.VolumeSource`), with Kubernetes' field names and defaults.
 *
 * A volume is a name plus exactly one source. All the in-tree sources are accepted, including the
 * deprecated cloud ones, so that existing manifests load; Harbormaster's runtimes act on the ones
 * they support (emptyDir, hostPath, configMap, secret, downwardAPI, projected, persistentVolumeClaim).
 *
 * Defaults: `defaultMode` 0644 (420) for secret, configMap, downwardAPI and projected volumes;
 * hostPath `type` `""`; a projected service account token expires after 3600 s; a claim template's
 * `volumeMode` is `Filesystem`; the legacy sources' declared defaults (rbd `pool: rbd`, …). A
 * volume with no source becomes an `emptyDir` (a cross-field default, applied by the Pod strategy).
 *
 * @module
 */
import { z } from 'zod';
import { quantitySchema } from '../../meta/quantity.js';
import { objectMetaSchema } from '../../meta/object-meta.js';
import {
  labelSelectorSchema,
  localObjectReferenceSchema,
  resourceListSchema,
  typedLocalObjectReferenceSchema,
} from '../common.js';
import { downwardAPIProjectionSchema, downwardAPIVolumeSourceSchema } from './downward-api.js';

const defaultMode = 0o644;

/** A reference to a Secret in any namespace (`v1.SecretReference`). */
export const secretReferenceSchema = z.strictObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});

/** Maps a key of a ConfigMap or Secret to a file path in a volume (`v1.KeyToPath`). */
export const keyToPathSchema = z.strictObject({
  key: z.string(),
  path: z.string(),
  mode: z.int32().optional(),
});
/** Maps a key to a file path in a volume. */
export type KeyToPath = z.infer<typeof keyToPathSchema>;

/** The kind of path a hostPath volume expects. */
export const hostPathTypeSchema = z.enum([
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
]);

/** A file or directory of the host (`v1.HostPathVolumeSource`). */
export const hostPathVolumeSourceSchema = z.strictObject({
  path: z.string(),
  type: hostPathTypeSchema.default(''),
});
/** A file or directory of the host. */
export type HostPathVolumeSource = z.infer<typeof hostPathVolumeSourceSchema>;

/** A scratch directory that lives as long as the Pod (`v1.EmptyDirVolumeSource`). */
export const emptyDirVolumeSourceSchema = z.strictObject({
  /** `""` (the node's default medium) or `Memory`. */
  medium: z.string().optional(),
  sizeLimit: quantitySchema.optional(),
});
/** A scratch directory that lives as long as the Pod. */
export type EmptyDirVolumeSource = z.infer<typeof emptyDirVolumeSourceSchema>;

/** A Secret's keys as files (`v1.SecretVolumeSource`); `defaultMode` defaults to 0644. */
export const secretVolumeSourceSchema = z.strictObject({
  secretName: z.string().optional(),
  items: z.array(keyToPathSchema).optional(),
  defaultMode: z.int32().default(defaultMode),
  optional: z.boolean().optional(),
});
/** A Secret's keys as files. */
export type SecretVolumeSource = z.infer<typeof secretVolumeSourceSchema>;

/** A ConfigMap's keys as files (`v1.ConfigMapVolumeSource`); `defaultMode` defaults to 0644. */
export const configMapVolumeSourceSchema = z.strictObject({
  name: z.string().default(''),
  items: z.array(keyToPathSchema).optional(),
  defaultMode: z.int32().default(defaultMode),
  optional: z.boolean().optional(),
});
/** A ConfigMap's keys as files. */
export type ConfigMapVolumeSource = z.infer<typeof configMapVolumeSourceSchema>;

/** A PersistentVolumeClaim in the Pod's namespace (`v1.PersistentVolumeClaimVolumeSource`). */
export const persistentVolumeClaimVolumeSourceSchema = z.strictObject({
  claimName: z.string(),
  readOnly: z.boolean().optional(),
});

/** A Secret projected into a projected volume (`v1.SecretProjection`). */
export const secretProjectionSchema = z.strictObject({
  name: z.string().default(''),
  items: z.array(keyToPathSchema).optional(),
  optional: z.boolean().optional(),
});

/** A ConfigMap projected into a projected volume (`v1.ConfigMapProjection`). */
export const configMapProjectionSchema = z.strictObject({
  name: z.string().default(''),
  items: z.array(keyToPathSchema).optional(),
  optional: z.boolean().optional(),
});

/** A service account token projected into a volume; expires after 3600 s by default. */
export const serviceAccountTokenProjectionSchema = z.strictObject({
  audience: z.string().optional(),
  expirationSeconds: z.int().default(3600),
  path: z.string(),
});

/** ClusterTrustBundles projected into a volume (`v1.ClusterTrustBundleProjection`). */
export const clusterTrustBundleProjectionSchema = z.strictObject({
  name: z.string().optional(),
  signerName: z.string().optional(),
  labelSelector: labelSelectorSchema.optional(),
  optional: z.boolean().optional(),
  path: z.string(),
});

/** A private key and certificate chain projected into a volume (`v1.PodCertificateProjection`). */
export const podCertificateProjectionSchema = z.strictObject({
  signerName: z.string(),
  keyType: z.string(),
  maxExpirationSeconds: z.int32().optional(),
  credentialBundlePath: z.string().optional(),
  keyPath: z.string().optional(),
  certificateChainPath: z.string().optional(),
  userAnnotations: z.record(z.string(), z.string()).optional(),
});

/** One source of a projected volume; exactly one field is set (`v1.VolumeProjection`). */
export const volumeProjectionSchema = z.strictObject({
  secret: secretProjectionSchema.optional(),
  downwardAPI: downwardAPIProjectionSchema.optional(),
  configMap: configMapProjectionSchema.optional(),
  serviceAccountToken: serviceAccountTokenProjectionSchema.optional(),
  clusterTrustBundle: clusterTrustBundleProjectionSchema.optional(),
  podCertificate: podCertificateProjectionSchema.optional(),
});
/** One source of a projected volume. */
export type VolumeProjection = z.infer<typeof volumeProjectionSchema>;

/** Several sources in one directory (`v1.ProjectedVolumeSource`); `defaultMode` defaults to 0644. */
export const projectedVolumeSourceSchema = z.strictObject({
  sources: z.array(volumeProjectionSchema).nullable().optional(),
  defaultMode: z.int32().default(defaultMode),
});
/** Several sources in one directory. */
export type ProjectedVolumeSource = z.infer<typeof projectedVolumeSourceSchema>;

/** A CSI driver's ephemeral volume (`v1.CSIVolumeSource`). */
export const csiVolumeSourceSchema = z.strictObject({
  driver: z.string(),
  readOnly: z.boolean().optional(),
  fsType: z.string().optional(),
  volumeAttributes: z.record(z.string(), z.string()).optional(),
  nodePublishSecretRef: localObjectReferenceSchema.optional(),
});

/** An OCI image or artifact mounted read-only (`v1.ImageVolumeSource`). */
export const imageVolumeSourceSchema = z.strictObject({
  reference: z.string().optional(),
  /** Defaults to `Always` for `:latest` or no tag, else `IfNotPresent` (set by the Pod strategy). */
  pullPolicy: z.enum(['Always', 'Never', 'IfNotPresent']).optional(),
});

/** The access modes of a volume. */
export const persistentVolumeAccessModeSchema = z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']);

/** A reference to a typed object, possibly in another namespace (`v1.TypedObjectReference`). */
export const typedObjectReferenceSchema = z.strictObject({
  apiGroup: z.string().nullable().optional(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});

/** The storage a claim asks for (`v1.VolumeResourceRequirements`). */
export const volumeResourceRequirementsSchema = z.strictObject({
  limits: resourceListSchema.optional(),
  requests: resourceListSchema.optional(),
});

/** What a PersistentVolumeClaim asks for (`v1.PersistentVolumeClaimSpec`); `volumeMode` defaults to `Filesystem`. */
export const persistentVolumeClaimSpecSchema = z.strictObject({
  accessModes: z.array(persistentVolumeAccessModeSchema).optional(),
  selector: labelSelectorSchema.optional(),
  resources: volumeResourceRequirementsSchema.optional(),
  volumeName: z.string().optional(),
  storageClassName: z.string().nullable().optional(),
  volumeMode: z.enum(['Block', 'Filesystem']).default('Filesystem'),
  dataSource: typedLocalObjectReferenceSchema.nullable().optional(),
  dataSourceRef: typedObjectReferenceSchema.nullable().optional(),
  volumeAttributesClassName: z.string().nullable().optional(),
});
/** What a PersistentVolumeClaim asks for. */
export type PersistentVolumeClaimSpec = z.infer<typeof persistentVolumeClaimSpecSchema>;

/** A claim created for the Pod and deleted with it (`v1.EphemeralVolumeSource`). */
export const ephemeralVolumeSourceSchema = z.strictObject({
  volumeClaimTemplate: z
    .strictObject({
      metadata: objectMetaSchema.optional(),
      spec: persistentVolumeClaimSpecSchema,
    })
    .optional(),
});

// The legacy in-tree sources: accepted so manifests load, not acted on by Harbormaster's runtimes.

const gcePersistentDiskSchema = z.strictObject({
  pdName: z.string(),
  fsType: z.string().optional(),
  partition: z.int32().optional(),
  readOnly: z.boolean().optional(),
});
const awsElasticBlockStoreSchema = z.strictObject({
  volumeID: z.string(),
  fsType: z.string().optional(),
  partition: z.int32().optional(),
  readOnly: z.boolean().optional(),
});
const gitRepoSchema = z.strictObject({
  repository: z.string(),
  revision: z.string().optional(),
  directory: z.string().optional(),
});
const nfsSchema = z.strictObject({ server: z.string(), path: z.string(), readOnly: z.boolean().optional() });
const iscsiSchema = z.strictObject({
  targetPortal: z.string(),
  iqn: z.string(),
  lun: z.int32(),
  iscsiInterface: z.string().default('default'),
  fsType: z.string().optional(),
  readOnly: z.boolean().optional(),
  portals: z.array(z.string()).optional(),
  chapAuthDiscovery: z.boolean().optional(),
  chapAuthSession: z.boolean().optional(),
  secretRef: localObjectReferenceSchema.optional(),
  initiatorName: z.string().optional(),
});
const glusterfsSchema = z.strictObject({ endpoints: z.string(), path: z.string(), readOnly: z.boolean().optional() });
const rbdSchema = z.strictObject({
  monitors: z.array(z.string()),
  image: z.string(),
  fsType: z.string().optional(),
  pool: z.string().default('rbd'),
  user: z.string().default('admin'),
  keyring: z.string().default('/etc/ceph/keyring'),
  secretRef: localObjectReferenceSchema.optional(),
  readOnly: z.boolean().optional(),
});
const flexVolumeSchema = z.strictObject({
  driver: z.string(),
  fsType: z.string().optional(),
  secretRef: localObjectReferenceSchema.optional(),
  readOnly: z.boolean().optional(),
  options: z.record(z.string(), z.string()).optional(),
});
const cinderSchema = z.strictObject({
  volumeID: z.string(),
  fsType: z.string().optional(),
  readOnly: z.boolean().optional(),
  secretRef: localObjectReferenceSchema.optional(),
});
const cephfsSchema = z.strictObject({
  monitors: z.array(z.string()),
  path: z.string().optional(),
  user: z.string().optional(),
  secretFile: z.string().optional(),
  secretRef: localObjectReferenceSchema.optional(),
  readOnly: z.boolean().optional(),
});
const flockerSchema = z.strictObject({ datasetName: z.string().optional(), datasetUUID: z.string().optional() });
const fcSchema = z.strictObject({
  targetWWNs: z.array(z.string()).optional(),
  lun: z.int32().optional(),
  fsType: z.string().optional(),
  readOnly: z.boolean().optional(),
  wwids: z.array(z.string()).optional(),
});
const azureFileSchema = z.strictObject({
  secretName: z.string(),
  shareName: z.string(),
  readOnly: z.boolean().optional(),
});
const vsphereVolumeSchema = z.strictObject({
  volumePath: z.string(),
  fsType: z.string().optional(),
  storagePolicyName: z.string().optional(),
  storagePolicyID: z.string().optional(),
});
const quobyteSchema = z.strictObject({
  registry: z.string(),
  volume: z.string(),
  readOnly: z.boolean().optional(),
  user: z.string().optional(),
  group: z.string().optional(),
  tenant: z.string().optional(),
});
const azureDiskSchema = z.strictObject({
  diskName: z.string(),
  diskURI: z.string(),
  cachingMode: z.enum(['None', 'ReadOnly', 'ReadWrite']).default('ReadWrite'),
  fsType: z.string().default('ext4'),
  readOnly: z.boolean().default(false),
  kind: z.enum(['Shared', 'Dedicated', 'Managed']).default('Shared'),
});
const photonPersistentDiskSchema = z.strictObject({ pdID: z.string(), fsType: z.string().optional() });
const portworxVolumeSchema = z.strictObject({
  volumeID: z.string(),
  fsType: z.string().optional(),
  readOnly: z.boolean().optional(),
});
const scaleIOSchema = z.strictObject({
  gateway: z.string(),
  system: z.string(),
  secretRef: localObjectReferenceSchema.nullable(),
  sslEnabled: z.boolean().optional(),
  protectionDomain: z.string().optional(),
  storagePool: z.string().optional(),
  storageMode: z.string().default('ThinProvisioned'),
  volumeName: z.string().optional(),
  fsType: z.string().default('xfs'),
  readOnly: z.boolean().optional(),
});
const storageOSSchema = z.strictObject({
  volumeName: z.string().optional(),
  volumeNamespace: z.string().optional(),
  fsType: z.string().optional(),
  readOnly: z.boolean().optional(),
  secretRef: localObjectReferenceSchema.optional(),
});

/** The names of the volume source fields; a volume sets exactly one. */
export const volumeSourceNames = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

/** A named volume that containers of the Pod can mount (`v1.Volume`): a name and one source. */
export const volumeSchema = z.strictObject({
  /** A DNS label, unique within the Pod. */
  name: z.string(),
  hostPath: hostPathVolumeSourceSchema.optional(),
  emptyDir: emptyDirVolumeSourceSchema.optional(),
  gcePersistentDisk: gcePersistentDiskSchema.optional(),
  awsElasticBlockStore: awsElasticBlockStoreSchema.optional(),
  gitRepo: gitRepoSchema.optional(),
  secret: secretVolumeSourceSchema.optional(),
  nfs: nfsSchema.optional(),
  iscsi: iscsiSchema.optional(),
  glusterfs: glusterfsSchema.optional(),
  persistentVolumeClaim: persistentVolumeClaimVolumeSourceSchema.optional(),
  rbd: rbdSchema.optional(),
  flexVolume: flexVolumeSchema.optional(),
  cinder: cinderSchema.optional(),
  cephfs: cephfsSchema.optional(),
  flocker: flockerSchema.optional(),
  downwardAPI: downwardAPIVolumeSourceSchema.optional(),
  fc: fcSchema.optional(),
  azureFile: azureFileSchema.optional(),
  configMap: configMapVolumeSourceSchema.optional(),
  vsphereVolume: vsphereVolumeSchema.optional(),
  quobyte: quobyteSchema.optional(),
  azureDisk: azureDiskSchema.optional(),
  photonPersistentDisk: photonPersistentDiskSchema.optional(),
  projected: projectedVolumeSourceSchema.optional(),
  portworxVolume: portworxVolumeSchema.optional(),
  scaleIO: scaleIOSchema.optional(),
  storageos: storageOSSchema.optional(),
  csi: csiVolumeSourceSchema.optional(),
  ephemeral: ephemeralVolumeSourceSchema.optional(),
  image: imageVolumeSourceSchema.optional(),
});
/** A named volume that containers of the Pod can mount. */
export type Volume = z.infer<typeof volumeSchema>;
