/**
 * What an image is to the process runtime: a named default command, found in the runtime's image
 * map, or, by convention, `process://<absolute path of an executable>`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';

/**
 * An image of the process runtime: what a container runs when its spec says no `command`/`args`,
 * like an image's `Entrypoint`, `Cmd`, `WorkingDir` and `Env`.
 *
 * @example
 * ```ts
 * const images = { 'acme/web:1': { command: ['node', 'server.js'], workingDir: '/srv/web', env: { NODE_ENV: 'production' } } };
 * ```
 */
export interface ProcessImage {
  /** The entrypoint: an absolute path, a path relative to the working directory, or a name looked up on the container's `PATH`. */
  readonly command: readonly string[];
  /** Default arguments (Docker's `Cmd`), used when the container gives neither `command` nor `args`. */
  readonly args?: readonly string[];
  /** The working directory. @default the container's own directory under the state directory */
  readonly workingDir?: string;
  /** Environment variables; the container's own `env` overrides them. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The prefix of an image named by the path of an executable: `process:///usr/local/bin/web`. */
export const PROCESS_IMAGE_PREFIX = 'process://';

/** An image found: its definition, id and size. */
export interface ResolvedImage {
  readonly name: string;
  readonly image: ProcessImage;
  /** `sha256:` of the definition (and, for a `process://` image, of the executable's size and modification time). */
  readonly imageId: string;
  /** The size of the executable when it is known, else 0. */
  readonly sizeBytes: number;
}

/**
 * Find `name` in `images`, or as a `process://` path to an executable regular file (whose command
 * is that path, run in its directory). `undefined` when it is neither.
 */
export async function resolveImage(name: string, images: Readonly<Record<string, ProcessImage>>): Promise<ResolvedImage | undefined> {
  const mapped = Object.hasOwn(images, name) ? images[name] : undefined;
  if (mapped !== undefined) {
    return { name, image: mapped, imageId: digest({ name, image: mapped }), sizeBytes: await executableSize(mapped.command[0]) };
  }
  if (!name.startsWith(PROCESS_IMAGE_PREFIX)) return undefined;
  const path = name.slice(PROCESS_IMAGE_PREFIX.length);
  if (!isAbsolute(path)) return undefined;
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    await access(path, constants.X_OK);
    const image: ProcessImage = { command: [path], workingDir: dirname(path) };
    return { name, image, imageId: digest({ name, image, size: info.size, mtimeMs: info.mtimeMs }), sizeBytes: info.size };
  } catch {
    return undefined;
  }
}

function digest(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;
}

/** The size of an executable given by absolute path; 0 for anything else. */
async function executableSize(command: string | undefined): Promise<number> {
  if (command === undefined || !isAbsolute(command)) return 0;
  try {
    return (await stat(command)).size;
  } catch {
    return 0;
  }
}
