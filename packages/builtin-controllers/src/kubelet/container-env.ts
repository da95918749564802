/**
 * A container's environment and command line as the kubelet builds them: `env` values and
 * `valueFrom` (fieldRef, resourceFieldRef, configMapKeyRef), `envFrom` ConfigMaps with their
 * prefix, and Kubernetes' `$(VAR)` expansion in values, `command` and `args` (`$$(VAR)` stays
 * literal). Secrets are not served by Harbormaster yet, so `secretKeyRef` and `secretRef` fail
 * with a configuration error, as a missing Secret does in Kubernetes.
 *
 * @module
 * @internal
 */
import { ignoreNotFound, kinds, parseQuantity, type Client } from '@harbormaster/core';

/** The container cannot be configured (the kubelet reports `CreateContainerConfigError`). */
export class ContainerConfigError extends Error {
  override readonly name: string = 'ContainerConfigError';
}

/** Expand `$(NAME)` references from `vars`; unknown references and `$$(…)` stay as written (the latter unescaped). */
export function expand(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '$' && text.charAt(i + 1) === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c === '$' && text.charAt(i + 1) === '(') {
      const end = text.indexOf(')', i + 2);
      if (end > 0) {
        const name = text.slice(i + 2, end);
        const value = vars.get(name);
        out += value ?? text.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function fieldValue(pod: kinds.Pod, path: string): string {
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['([^']*)'\]$/.exec(path);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelOrAnnotation[2] ?? ''] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
      return pod.status?.hostIP ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    case 'status.podIPs':
      return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

function resourceValue(pod: kinds.Pod, container: kinds.Container, ref: { containerName?: string | undefined; resource: string; divisor?: string | number | undefined }): string {
  const c = ref.containerName ? pod.spec.containers.find((x) => x.name === ref.containerName) : container;
  if (c === undefined) throw new ContainerConfigError(`resourceFieldRef names an unknown container "${ref.containerName ?? ''}"`);
  const [kind, resource] = ref.resource.split('.') as [string, string];
  const list = kind === 'limits' ? c.resources.limits : c.resources.requests;
  const raw = list?.[resource];
  const divisor = ref.divisor === undefined ? 1 : parseQuantity(ref.divisor);
  // Kubernetes rounds up, and reports an unset limit as the node's allocatable; we report 0 then.
  return String(raw === undefined ? 0 : Math.ceil(parseQuantity(raw) / divisor));
}

/** Resolve a container's environment, in Kubernetes' order (envFrom first, then env, later wins). */
export async function containerEnv(
  client: Client,
  pod: kinds.Pod,
  container: kinds.Container,
): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  const namespace = pod.metadata.namespace ?? 'default';
  const configMaps = new Map<string, kinds.ConfigMap | undefined>();
  const configMap = async (name: string): Promise<kinds.ConfigMap | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await client.get(kinds.ConfigMap, { namespace, name }).catch(ignoreNotFound));
    return configMaps.get(name);
  };
  for (const from of container.envFrom ?? []) {
    if (from.secretRef) throw new ContainerConfigError(`secret "${from.secretRef.name ?? ''}" not found`);
    if (from.configMapRef) {
      const cm = await configMap(from.configMapRef.name ?? '');
      if (cm === undefined) {
        if (from.configMapRef.optional === true) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(`${from.prefix ?? ''}${k}`, v);
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      vars.set(e.name, expand(e.value ?? '', vars));
      continue;
    }
    const v = e.valueFrom;
    if (v.fieldRef) vars.set(e.name, fieldValue(pod, v.fieldRef.fieldPath));
    else if (v.resourceFieldRef) vars.set(e.name, resourceValue(pod, container, v.resourceFieldRef));
    else if (v.configMapKeyRef) {
      const cm = await configMap(v.configMapKeyRef.name ?? '');
      const value = cm?.data?.[v.configMapKeyRef.key];
      if (value === undefined) {
        if (v.configMapKeyRef.optional === true) continue;
        throw new ContainerConfigError(
          cm === undefined ? `configmap "${v.configMapKeyRef.name ?? ''}" not found` : `couldn't find key ${v.configMapKeyRef.key} in ConfigMap ${namespace}/${v.configMapKeyRef.name ?? ''}`,
        );
      }
      vars.set(e.name, value);
    } else if (v.secretKeyRef) {
      throw new ContainerConfigError(`secret "${v.secretKeyRef.name ?? ''}" not found`);
    }
  }
  return vars;
}
