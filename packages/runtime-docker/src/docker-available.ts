import { describeDockerEndpoint, dockerClient, type DockerRuntimeOptions } from './docker-runtime.js';

/** Options of {@link isDockerAvailable}. */
export interface DockerAvailableOptions extends Pick<DockerRuntimeOptions, 'docker' | 'socketPath'> {
  /**
   * How long to wait for the engine's answer, in ms.
   * @default 3000
   */
  readonly timeoutMs?: number;
  /** Also require this image to be on the engine (no pull is tried). */
  readonly image?: string;
}

/** Whether a Docker Engine answers, and if not, why. */
export interface DockerAvailability {
  /** Whether the engine answered a ping in time. */
  readonly available: boolean;
  /** Where the engine was looked for: a socket path, `DOCKER_HOST`, or the given client. */
  readonly endpoint: string;
  /** Why it is not available (the error), when it is not. */
  readonly reason?: string;
}

/**
 * Whether a Docker Engine answers a ping at `DOCKER_HOST` (else `/var/run/docker.sock`), the
 * given socket or the given client, within `timeoutMs`. Never throws.
 *
 * @example
 * ```ts
 * if (!(await isDockerAvailable())) console.warn('no Docker Engine: using the process runtime');
 * ```
 */
export async function isDockerAvailable(options: DockerAvailableOptions = {}): Promise<boolean> {
  return (await checkDocker(options)).available;
}

/**
 * Like {@link isDockerAvailable}, with where the engine was looked for and why it did not answer
 * (or, with `image`, that the image is not on it). Never throws.
 *
 * @example
 * ```ts
 * const docker = await checkDocker({ image: 'harbormaster/test-http:1' });
 * if (!docker.available) console.warn(`Docker tests skipped: ${docker.reason} (${docker.endpoint})`);
 * ```
 */
export async function checkDocker(options: DockerAvailableOptions = {}): Promise<DockerAvailability> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const endpoint = describeDockerEndpoint(options);
  const docker = dockerClient({ ...options, timeoutMs });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    return { available: false, endpoint, reason: `no Docker Engine answers: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    clearTimeout(timer);
  }
  if (options.image !== undefined) {
    const present = await docker
      .getImage(options.image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (!present) return { available: false, endpoint, reason: `the image ${options.image} is not on the engine` };
  }
  return { available: true, endpoint };
}
